-- Rollback of 20261201300000: notifications are one per alert again and escalation loops over
-- alerts. Deliveries written as 'updated' (a group change) are kept as 'escalated' notices so the
-- previous change check holds; groups and the alerts' group membership are dropped.

create or replace function private.route_alert_signals(signal_ids bigint [])
returns void
language plpgsql
set search_path = ''
as $$
declare
    v_signal public.alert_signals;
    v_version public.alert_route_versions;
    v_labels jsonb;
    v_route record;
    v_alert public.alerts;
    v_due uuid [] := '{}'::uuid [];
    v_resolved public.alerts;
    v_as_of timestamptz;
    v_counted boolean;
begin
    for v_signal in
        select s.* from public.alert_signals as s where s.id = any(route_alert_signals.signal_ids) order by s.id
    loop
        v_as_of := v_signal.raised_at;
        if v_signal.is_recovery then
            -- A recovery resolves every unresolved alert of its fingerprint, on any route.
            for v_resolved in
                update public.alerts as a
                set status = 'resolved', resolved_at = v_as_of, resolved_by = 'system:recovery',
                    next_escalation_at = null, updated_at = v_as_of
                where a.workspace_id = v_signal.workspace_id
                  and a.fingerprint = v_signal.fingerprint
                  and a.status <> 'resolved'
                returning a.*
            loop
                perform private.note_alert_resolved(v_resolved, 'system:recovery',
                    'recovered: ' || v_signal.signal_type, v_signal.id, v_as_of);
            end loop;
            continue;
        end if;

        if v_version.id is null or v_version.workspace_id <> v_signal.workspace_id then
            v_version := private.current_route_version(v_signal.workspace_id);
        end if;
        if v_version.id is null then
            continue;  -- no routing published: the signal is recorded, nobody is paged
        end if;
        v_labels := private.signal_match_labels(v_signal.labels, v_signal.signal_type, v_signal.severity,
            v_signal.spec_name, v_signal.pool, v_signal.executor_id, v_signal.run_id);

        for v_route in select m.* from private.matching_routes(v_version.body, v_labels) as m order by m.ord loop
            select a.* into v_alert
            from public.alerts as a
            where a.workspace_id = v_signal.workspace_id
              and a.route_name = v_route.route_name
              and a.fingerprint = v_signal.fingerprint
              and a.status <> 'resolved'
            for update;
            v_counted := found;
            if not v_counted then
                select a.* into v_alert
                from public.alerts as a
                where a.workspace_id = v_signal.workspace_id
                  and a.route_name = v_route.route_name
                  and a.fingerprint = v_signal.fingerprint
                  and a.status = 'resolved'
                  and a.resolved_at >= v_as_of - private.reopen_window(v_route.route, v_version.body)
                order by a.resolved_at desc
                limit 1
                for update;
                if found then
                    update public.alerts as a
                    set status = 'open', opened_at = v_as_of, resolved_at = null, resolved_by = null,
                        acknowledged_at = null, acknowledged_by = null, tier = 0, suppressed_by = null,
                        route_version_id = v_version.id, group_key = v_route.group_key,
                        next_escalation_at = private.first_escalation_at(v_route.route, v_as_of),
                        severity = v_signal.severity, signal_count = a.signal_count + 1,
                        runs_affected = case when v_signal.run_id is null then 0 else 1 end,
                        last_signal_at = v_as_of, subject = private.signal_subject(v_signal),
                        labels = v_labels, updated_at = v_as_of
                    where a.id = v_alert.id
                    returning a.* into v_alert;
                    insert into public.alert_changes (alert_id, workspace_id, change, from_status, to_status, tier, signal_id, actor, at)
                    values (v_alert.id, v_alert.workspace_id, 'reopened', 'resolved', 'open', 0, v_signal.id, 'system:signal', v_as_of);
                else
                    insert into public.alerts (
                        workspace_id, fingerprint, route_version_id, route_name, group_key, signal_type, subject, labels,
                        status, severity, next_escalation_at, opened_at, first_signal_at, last_signal_at,
                        runs_affected, updated_at
                    )
                    values (
                        v_signal.workspace_id, v_signal.fingerprint, v_version.id, v_route.route_name, v_route.group_key,
                        v_signal.signal_type, private.signal_subject(v_signal), v_labels, 'open', v_signal.severity,
                        private.first_escalation_at(v_route.route, v_as_of), v_as_of, v_as_of, v_as_of,
                        case when v_signal.run_id is null then 0 else 1 end, v_as_of
                    )
                    -- GUARD: another transaction opened this alert since the lookup above: the partial
                    -- unique index makes this insert wait for it and then do nothing; the signal then
                    -- counts into that alert (below) instead of failing the transaction that raised it.
                    on conflict (workspace_id, route_name, fingerprint) where status <> 'resolved' do nothing
                    returning * into v_alert;
                    if found then
                        insert into public.alert_changes (alert_id, workspace_id, change, from_status, to_status, tier, signal_id, actor, at)
                        values (v_alert.id, v_alert.workspace_id, 'opened', null, 'open', 0, v_signal.id, 'system:signal', v_as_of);
                    else
                        select a.* into v_alert
                        from public.alerts as a
                        where a.workspace_id = v_signal.workspace_id
                          and a.route_name = v_route.route_name
                          and a.fingerprint = v_signal.fingerprint
                          and a.status <> 'resolved'
                        for update;
                        v_counted := true;
                    end if;
                end if;
            end if;
            if v_counted then
                update public.alerts as a
                set signal_count = a.signal_count + 1,
                    last_signal_at = greatest(a.last_signal_at, v_as_of),
                    severity = case when private.severity_rank(v_signal.severity) > private.severity_rank(a.severity)
                        then v_signal.severity else a.severity end,
                    runs_affected = a.runs_affected + case when v_signal.run_id is not null and not exists (
                        select from public.alert_signals as p
                        where p.workspace_id = v_signal.workspace_id and p.fingerprint = v_signal.fingerprint
                          and p.raised_at >= a.opened_at and p.id < v_signal.id and p.run_id = v_signal.run_id
                    ) then 1 else 0 end,
                    subject = private.signal_subject(v_signal),
                    labels = v_labels,
                    updated_at = v_as_of
                where a.id = v_alert.id
                returning a.* into v_alert;
                insert into public.alert_changes (alert_id, workspace_id, change, from_status, to_status, tier, signal_id, actor, at)
                values (v_alert.id, v_alert.workspace_id, 'signal', v_alert.status, v_alert.status, v_alert.tier,
                    v_signal.id, 'system:signal', v_as_of);
            end if;
            update public.alerts as a set score = private.alert_score(v_alert, v_as_of)
            where a.id = v_alert.id;
            if v_alert.next_escalation_at <= v_as_of then
                v_due := v_due || v_alert.id;
            end if;
        end loop;
    end loop;

    if pg_catalog.cardinality(v_due) > 0 then
        perform private.escalate_alerts(v_due, v_as_of);
    end if;
end
$$;

comment on function private.route_alert_signals(bigint []) is
'Signals to alerts, in id order: a problem signal updates, reopens (within the reopen window) or opens the alert of (route, fingerprint) on every route that takes it, and escalates at once the alerts already due; a recovery signal resolves the unresolved alerts of its fingerprint. Audited in alert_changes with actor system:signal / system:recovery.';

create or replace function private.note_alert_resolved(
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

create or replace function private.escalate_alerts(alert_ids uuid [], as_of timestamptz)
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

create or replace function private.escalate_due_alerts(as_of timestamptz, max_alerts integer, workspace_id uuid default null)
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

create or replace function public.acknowledge_alert(alert_id uuid, note text default null, as_of timestamptz default null)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
    v_as_of timestamptz := private.clock(acknowledge_alert.as_of);
    v_alert public.alerts := private.visible_alert(acknowledge_alert.alert_id, 'operator');
    v_actor text := private.caller_actor();
begin
    if pg_catalog.char_length(acknowledge_alert.note) > 2000 then
        raise exception 'note is too long: % characters, the limit is 2000', pg_catalog.char_length(acknowledge_alert.note)
        using errcode = '22023', detail = 'path=$.note', hint = 'Keep the note short; link a ticket.';
    end if;
    -- GUARD: acknowledged already (a retried call): nothing changes.
    if v_alert.status = 'acknowledged' then
        return private.alert_reply('duplicate', v_alert);
    end if;
    if v_alert.status = 'resolved' then
        raise exception 'alert % is resolved and cannot be acknowledged', v_alert.id
        using errcode = 'PT422',
        detail = pg_catalog.format('Resolved at %s by %s.', v_alert.resolved_at, v_alert.resolved_by),
        hint = 'Nothing to acknowledge; a recurrence reopens it.';
    end if;
    update public.alerts as a
    set status = 'acknowledged', acknowledged_at = v_as_of, acknowledged_by = v_actor,
        next_escalation_at = null, updated_at = v_as_of
    where a.id = v_alert.id
    returning a.* into v_alert;
    insert into public.alert_changes (alert_id, workspace_id, change, from_status, to_status, tier, actor, note, at)
    values (v_alert.id, v_alert.workspace_id, 'acknowledged', 'open', 'acknowledged', v_alert.tier, v_actor,
        acknowledge_alert.note, v_as_of);
    return private.alert_reply('acknowledged', v_alert);
end
$$;

comment on function public.acknowledge_alert(uuid, text, timestamptz) is
'Acknowledges an open alert: escalation stops (no further tier or repeat). duplicate when already acknowledged; PT422 when resolved. Workspace operators and up, and the service role.';

create or replace function public.resolve_alert(alert_id uuid, note text default null, as_of timestamptz default null)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
    v_as_of timestamptz := private.clock(resolve_alert.as_of);
    v_alert public.alerts := private.visible_alert(resolve_alert.alert_id, 'operator');
    v_actor text := private.caller_actor();
begin
    if pg_catalog.char_length(resolve_alert.note) > 2000 then
        raise exception 'note is too long: % characters, the limit is 2000', pg_catalog.char_length(resolve_alert.note)
        using errcode = '22023', detail = 'path=$.note', hint = 'Keep the note short; link a ticket.';
    end if;
    -- GUARD: resolved already (a retried call, or a recovery got there first): nothing changes.
    if v_alert.status = 'resolved' then
        return private.alert_reply('duplicate', v_alert);
    end if;
    update public.alerts as a
    set status = 'resolved', resolved_at = v_as_of, resolved_by = v_actor,
        next_escalation_at = null, updated_at = v_as_of
    where a.id = v_alert.id
    returning a.* into v_alert;
    perform private.note_alert_resolved(v_alert, v_actor, resolve_alert.note, null, v_as_of);
    return private.alert_reply('resolved', v_alert);
end
$$;

comment on function public.resolve_alert(uuid, text, timestamptz) is
'Resolves an open or acknowledged alert (escalation stops; the targets of the tiers reached get a resolved notice when the route sends them). duplicate when already resolved. Workspace operators and up, and the service role.';

create or replace function public.claim_deliveries(
    dispatcher text,
    max_deliveries integer default 50,
    lease_seconds integer default 30,
    as_of timestamptz default null
)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
    v_as_of timestamptz := private.clock(claim_deliveries.as_of);
    v_notified integer;
    v_deliveries jsonb;
begin
    perform private.assert_dispatcher_caller();
    if coalesce(pg_catalog.char_length(claim_deliveries.dispatcher), 0) not between 1 and 200 then
        raise exception 'dispatcher must be 1 to 200 characters'
        using errcode = '22023', detail = 'path=$.dispatcher', hint = 'Name the dispatcher (host and process).';
    end if;
    if claim_deliveries.max_deliveries is null or claim_deliveries.max_deliveries not between 1 and 500 then
        raise exception 'max_deliveries must be between 1 and 500'
        using errcode = '22023', detail = pg_catalog.format('max_deliveries=%s', claim_deliveries.max_deliveries),
        hint = 'Claim at most 500 deliveries per call.';
    end if;
    if claim_deliveries.lease_seconds is null or claim_deliveries.lease_seconds not between 1 and 3600 then
        raise exception 'lease_seconds must be between 1 and 3600'
        using errcode = '22023', detail = pg_catalog.format('lease_seconds=%s', claim_deliveries.lease_seconds),
        hint = 'A lease covers one send with its timeout, e.g. 30 seconds.';
    end if;

    v_notified := private.escalate_due_alerts(v_as_of, 200);

    with candidates as (
        (
            select d.id
            from public.alert_deliveries as d
            where d.status in ('pending', 'failed') and d.next_attempt_at <= v_as_of
            order by d.next_attempt_at
            limit claim_deliveries.max_deliveries
        )
        union all
        (
            -- A crashed dispatcher's deliveries: the lease ran out without a report.
            select d.id
            from public.alert_deliveries as d
            where d.status = 'leased' and d.lease_expires_at <= v_as_of
            order by d.lease_expires_at
            limit claim_deliveries.max_deliveries
        )
    ),
    locked as (
        -- GUARD: a delivery another dispatcher is claiming right now is skipped, never shared.
        select d.id, d.status as old_status, d.lease_token as old_token, d.dispatcher as old_dispatcher,
            d.attempts as old_attempts
        from public.alert_deliveries as d
        where d.id in (select c.id from candidates as c)
          and ((d.status in ('pending', 'failed') and d.next_attempt_at <= v_as_of)
              or (d.status = 'leased' and d.lease_expires_at <= v_as_of))
        order by d.next_attempt_at, d.id
        limit claim_deliveries.max_deliveries
        for update skip locked
    ),
    expired as (
        -- Every attempt is recorded: the one a crashed dispatcher never reported, too.
        insert into public.alert_delivery_attempts (
            delivery_id, workspace_id, attempt, lease_token, dispatcher, outcome, error, at
        )
        select l.id, d.workspace_id, l.old_attempts, l.old_token, l.old_dispatcher, 'expired',
            'lease expired without a report (dispatcher crashed or timed out)', v_as_of
        from locked as l
        inner join public.alert_deliveries as d on d.id = l.id
        where l.old_status = 'leased'
    ),
    claimed as (
        update public.alert_deliveries as d
        set status = case when d.attempts >= private.delivery_max_attempts() then 'dead' else 'leased' end,
            attempts = case when d.attempts >= private.delivery_max_attempts() then d.attempts else d.attempts + 1 end,
            lease_token = case when d.attempts >= private.delivery_max_attempts() then d.lease_token
                else pg_catalog.gen_random_uuid() end,
            lease_expires_at = case when d.attempts >= private.delivery_max_attempts() then null
                else v_as_of + pg_catalog.make_interval(secs => claim_deliveries.lease_seconds) end,
            dispatcher = case when d.attempts >= private.delivery_max_attempts() then null
                else claim_deliveries.dispatcher end,
            finished_at = case when d.attempts >= private.delivery_max_attempts() then v_as_of end,
            last_error = case when d.attempts >= private.delivery_max_attempts()
                then 'attempts exhausted: the last lease expired without a report' else d.last_error end
        from locked as l
        where d.id = l.id
        returning d.*
    )
    select coalesce(pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
        'id', c.id,
        'lease_token', c.lease_token,
        'lease_expires_at', c.lease_expires_at,
        'attempt', c.attempts,
        'alert_id', c.alert_id,
        'workspace_id', c.workspace_id,
        'tier', c.tier,
        'change', c.change,
        'target', pg_catalog.jsonb_build_object(
            'name', c.target_name, 'kind', c.target_kind,
            'url_secret', c.url_secret, 'signing_secret', c.signing_secret
        ),
        'payload', c.payload
    ) order by c.next_attempt_at, c.id) filter (where c.status = 'leased'), '[]'::jsonb)
    into v_deliveries
    from claimed as c;

    return pg_catalog.jsonb_build_object('deliveries', v_deliveries, 'alerts_notified', v_notified, 'as_of', v_as_of);
end
$$;

comment on function public.claim_deliveries(text, integer, integer, timestamptz) is
'Dispatcher claim: first the due alert work (escalation, bounded to 200 alerts), then up to max_deliveries due deliveries (pending, failed past their backoff, or leased with an expired lease) with a new lease token each, SKIP LOCKED. An expired lease is recorded as an expired attempt; past 8 attempts the delivery is dead. Returns {deliveries: [{id, lease_token, lease_expires_at, attempt, alert_id, workspace_id, tier, change, target {name, kind, url_secret, signing_secret}, payload}], alerts_notified, as_of}. Service role only.';

drop function private.join_alert_group(uuid, uuid, jsonb, text, jsonb, timestamptz);
drop function private.flush_alert_groups(uuid [], timestamptz);
drop function private.schedule_alert_groups(uuid [], timestamptz);
drop function private.mute_alerts(uuid [], timestamptz);
drop function private.alert_group_payload_limit();
drop function private.alert_group_interval(jsonb);
drop function private.alert_group_labels(jsonb, jsonb);
drop function private.alert_group_route(uuid, text);

update public.alert_deliveries set change = 'escalated'
where change = 'updated';
alter table public.alert_deliveries drop constraint alert_deliveries_change_valid;
alter table public.alert_deliveries add constraint alert_deliveries_change_valid
check (change in ('escalated', 'repeated', 'resolved'));
alter table public.alert_deliveries drop column group_id;
comment on table public.alert_deliveries is
'Outbox of notifications: one row per alert, tier (or repeat, or resolution) and target. pending/failed -> leased (claim_deliveries) -> sent | failed (retried with backoff) | dead. Written only by the alerting functions.';
comment on column public.alert_deliveries.alert_id is 'The alert.';
comment on column public.alert_deliveries.change is 'What is notified: escalated (tier reached), repeated (repeat_interval), resolved.';

alter table public.alerts drop column group_id;
alter table public.alerts drop column notified_as;
comment on column public.alerts.tier is 'Escalation tier reached: 0 before the first notification, then 1, 2, …';
comment on column public.alerts.next_escalation_at is 'When the next tier (or the repeat of the current one) is due; null when acknowledged, resolved or nothing is left.';
comment on column public.alerts.last_notified_at is 'Time of the latest notification (tier reached or repeated).';

drop table public.alert_groups;
