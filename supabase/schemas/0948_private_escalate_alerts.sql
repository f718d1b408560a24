-- Why: escalation is PagerDuty's chain in SQL (issue 14): an open alert whose next_escalation_at has
-- passed reaches its next tier (deliveries to that tier's targets), then waits the next tier's
-- after_seconds; past the last tier it repeats every repeat_interval_seconds, if set. A silence or
-- an inhibiting alert holds the notification back (audited once as suppressed) and it is looked at
-- again a minute later. Acknowledging or resolving clears next_escalation_at, so nothing escalates
-- after it. Bounded: the sweep takes at most max_alerts due alerts per call, SKIP LOCKED.

create function private.signal_subject(signal public.alert_signals)
returns jsonb
language sql
immutable
parallel safe
set search_path = ''
as $$
    select pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object(
        'run_id', (signal_subject.signal).run_id,
        'spec', (signal_subject.signal).spec_name,
        'pool', (signal_subject.signal).pool,
        'executor_id', (signal_subject.signal).executor_id,
        'signal_id', (signal_subject.signal).id
    ))
$$;

comment on function private.signal_subject(public.alert_signals) is
'The subject of a signal as JSON (run_id, spec, pool, executor_id, signal_id), as alerts show it.';

create function private.note_alert_resolved(
    alert public.alerts, actor text, note text, signal_id bigint, as_of timestamptz
)
returns void
language plpgsql
set search_path = ''
as $$
begin
    insert into public.alert_changes (alert_id, workspace_id, change, from_status, to_status, tier, signal_id, actor, note, at)
    select (note_alert_resolved.alert).id, (note_alert_resolved.alert).workspace_id, 'resolved',
        c.to_status, 'resolved', (note_alert_resolved.alert).tier, note_alert_resolved.signal_id,
        note_alert_resolved.actor, note_alert_resolved.note, note_alert_resolved.as_of
    from (
        select ch.to_status from public.alert_changes as ch
        where ch.alert_id = (note_alert_resolved.alert).id
        order by ch.id desc
        limit 1
    ) as c;
    -- Whoever was paged hears that it is over (send_resolved, default true).
    if (note_alert_resolved.alert).tier >= 1
        and coalesce((private.alert_route(note_alert_resolved.alert) ->> 'send_resolved')::boolean, true) then
        perform private.enqueue_alert_deliveries(
            note_alert_resolved.alert,
            array(select pg_catalog.generate_series(1, (note_alert_resolved.alert).tier)),
            'resolved', note_alert_resolved.as_of
        );
    end if;
end
$$;

comment on function private.note_alert_resolved(public.alerts, text, text, bigint, timestamptz) is
'After an alert was resolved: its audit row (from the previous status) and, when it had reached a tier and the route sends resolved notices, a resolved delivery to the targets of every tier reached.';

create function private.escalate_alerts(alert_ids uuid [], as_of timestamptz)
returns integer
language plpgsql
set search_path = ''
as $$
declare
    v_alert public.alerts;
    v_route jsonb;
    v_body jsonb;
    v_tiers integer;
    v_silence uuid;
    v_inhibitor uuid;
    v_suppressed text;
    v_next_tier integer;
    v_change text;
    v_repeat double precision;
    v_notified integer := 0;
begin
    for v_alert in
        select a.* from public.alerts as a
        where a.id = any(escalate_alerts.alert_ids)
          and a.status = 'open'
          and a.next_escalation_at <= escalate_alerts.as_of
        order by a.next_escalation_at, a.id
        for update
    loop
        v_route := private.alert_route(v_alert);
        select v.body into v_body from public.alert_route_versions as v where v.id = v_alert.route_version_id;
        v_tiers := pg_catalog.jsonb_array_length(v_route -> 'escalation');
        v_repeat := (v_route ->> 'repeat_interval_seconds')::double precision;

        v_silence := private.active_silence(v_alert.workspace_id, v_alert.labels, escalate_alerts.as_of);
        v_inhibitor := case when v_silence is null
            then private.inhibiting_alert(v_alert.workspace_id, v_body, v_alert.id, v_alert.labels) end;
        v_suppressed := coalesce('silence:' || v_silence::text, 'inhibited:' || v_inhibitor::text);
        if v_suppressed is not null then
            -- Held back, looked at again a minute later; audited once per reason.
            update public.alerts as a
            set suppressed_by = v_suppressed,
                next_escalation_at = escalate_alerts.as_of + interval '1 minute',
                updated_at = escalate_alerts.as_of
            where a.id = v_alert.id;
            if v_alert.suppressed_by is distinct from v_suppressed then
                insert into public.alert_changes (alert_id, workspace_id, change, from_status, to_status, tier, actor, note, at)
                values (v_alert.id, v_alert.workspace_id, 'suppressed', 'open', 'open', v_alert.tier,
                    'system:escalation', v_suppressed, escalate_alerts.as_of);
            end if;
            continue;
        end if;

        v_next_tier := least(v_alert.tier + 1, v_tiers);
        v_change := case when v_next_tier > v_alert.tier then 'escalated' else 'repeated' end;
        update public.alerts as a
        set tier = v_next_tier,
            suppressed_by = null,
            last_notified_at = escalate_alerts.as_of,
            next_escalation_at = case
                when v_next_tier < v_tiers then escalate_alerts.as_of + pg_catalog.make_interval(secs =>
                    coalesce((v_route -> 'escalation' -> v_next_tier ->> 'after_seconds')::double precision, 0))
                when v_repeat > 0 then escalate_alerts.as_of + pg_catalog.make_interval(secs => v_repeat)
            end,
            updated_at = escalate_alerts.as_of
        where a.id = v_alert.id
        returning a.* into v_alert;
        insert into public.alert_changes (alert_id, workspace_id, change, from_status, to_status, tier, actor, at)
        values (v_alert.id, v_alert.workspace_id, v_change, 'open', 'open', v_next_tier, 'system:escalation',
            escalate_alerts.as_of);
        perform private.enqueue_alert_deliveries(v_alert, array[v_next_tier], v_change, escalate_alerts.as_of);
        v_notified := v_notified + 1;
    end loop;
    return v_notified;
end
$$;

comment on function private.escalate_alerts(uuid [], timestamptz) is
'Moves the given open alerts whose next_escalation_at has passed to their next tier (or repeats the last tier), writing the audit row and the deliveries; a matching silence or inhibiting alert holds the notification back for a minute (audited once as suppressed). Returns how many were notified.';

create function private.escalate_due_alerts(as_of timestamptz, max_alerts integer, workspace_id uuid default null)
returns integer
language plpgsql
set search_path = ''
as $$
declare
    v_ids uuid [];
begin
    -- GUARD: two sweeps (pg_cron and a dispatcher's claim) never take the same alert: SKIP LOCKED.
    select pg_catalog.array_agg(d.id) into v_ids
    from (
        select a.id
        from public.alerts as a
        where a.next_escalation_at <= escalate_due_alerts.as_of
          and (escalate_due_alerts.workspace_id is null or a.workspace_id = escalate_due_alerts.workspace_id)
        order by a.next_escalation_at
        limit escalate_due_alerts.max_alerts
        for update skip locked
    ) as d;
    if v_ids is null then
        return 0;
    end if;
    return private.escalate_alerts(v_ids, escalate_due_alerts.as_of);
end
$$;

comment on function private.escalate_due_alerts(timestamptz, integer, uuid) is
'The escalation sweep, bounded: up to max_alerts alerts whose next_escalation_at has passed (optionally of one workspace), oldest due first, SKIP LOCKED, through private.escalate_alerts. Returns how many were notified.';
