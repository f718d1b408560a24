-- Why: escalation is PagerDuty's chain in SQL (issue 14), per notification group (0946): a group
-- with an open alert reaches its next tier after the tier's after_seconds (deliveries to that
-- tier's targets); an unchanged group repeats every repeat_interval_seconds, if set. A silence or
-- an inhibiting alert leaves an alert out (audited once as suppressed) and it is looked at again a
-- minute later. Acknowledging every alert of a group, or resolving them, stops its escalation.
-- Bounded: the sweep takes at most max_alerts due groups per call, SKIP LOCKED, in set-based
-- batches.

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
    if (note_alert_resolved.alert).group_id is null then
        return;
    end if;
    -- Whoever was paged hears that it is over (send_resolved, default true): the resolution is a
    -- change of the group, sent with the group's next notification (at once when group_interval has
    -- passed). Without send_resolved the receivers are not told, and nothing waits for it.
    if (note_alert_resolved.alert).notified_as = 'firing'
        and not coalesce((private.alert_route(note_alert_resolved.alert) ->> 'send_resolved')::boolean, true) then
        update public.alerts as a
        set notified_as = 'resolved'
        where a.id = (note_alert_resolved.alert).id;
    end if;
    perform private.schedule_alert_groups(array[(note_alert_resolved.alert).group_id], note_alert_resolved.as_of);
    perform private.flush_alert_groups(array[(note_alert_resolved.alert).group_id], note_alert_resolved.as_of);
end
$$;

comment on function private.note_alert_resolved(public.alerts, text, text, bigint, timestamptz) is
'After an alert was resolved: its audit row (from the previous status), then its group is rescheduled and notified if due (the resolution reaches everyone paged for the group when the route sends resolved notices).';

create function private.escalate_alerts(alert_ids uuid [], as_of timestamptz)
returns integer
language plpgsql
set search_path = ''
as $$
begin
    -- Escalation is the groups' (private.flush_alert_groups): the due groups of the given alerts.
    return private.flush_alert_groups(array(
        select distinct a.group_id
        from public.alerts as a
        where a.id = any(escalate_alerts.alert_ids)
          and a.group_id is not null
    ), escalate_alerts.as_of);
end
$$;

comment on function private.escalate_alerts(uuid [], timestamptz) is
'Notifies the due groups of the given alerts (private.flush_alert_groups): next tier, pending change or repeat. Returns how many alerts the notifications carried.';

create function private.escalate_due_alerts(as_of timestamptz, max_alerts integer, workspace_id uuid default null)
returns integer
language plpgsql
set search_path = ''
as $$
declare
    v_ids uuid [];
    v_batch integer := 500;
    v_notified integer := 0;
begin
    -- GUARD: two sweeps (pg_cron and a dispatcher's claim) never take the same group: SKIP LOCKED.
    select pg_catalog.array_agg(d.id order by d.due_at, d.id) into v_ids
    from (
        select g.id, g.due_at
        from public.alert_groups as g
        where g.due_at <= escalate_due_alerts.as_of
          and (escalate_due_alerts.workspace_id is null or g.workspace_id = escalate_due_alerts.workspace_id)
        order by g.due_at
        limit escalate_due_alerts.max_alerts
        for update skip locked
    ) as d;
    if v_ids is null then
        return 0;
    end if;
    -- Bounded batches of groups, each a handful of set-based statements.
    for i in 0 .. (pg_catalog.cardinality(v_ids) - 1) / v_batch loop
        v_notified := v_notified + private.flush_alert_groups(v_ids[i * v_batch + 1:(i + 1) * v_batch], escalate_due_alerts.as_of);
    end loop;
    return v_notified;
end
$$;

comment on function private.escalate_due_alerts(timestamptz, integer, uuid) is
'The escalation sweep, bounded: up to max_alerts groups whose due_at has passed (optionally of one workspace), oldest due first, SKIP LOCKED, notified in set-based batches of 500 groups (private.flush_alert_groups). Returns how many alerts the notifications carried.';
