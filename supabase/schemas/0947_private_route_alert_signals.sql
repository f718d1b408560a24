-- Why: signals become alerts here, in the transaction that raised them, so an alert is never lost
-- between a cause and its notification (issue 14). For each problem signal, every route that takes
-- it (first match, continue) finds the unresolved alert of (route, fingerprint), reopens one resolved
-- within the reopen window, or opens a new one; a recovery signal resolves the unresolved alerts of
-- its fingerprint. A new or reopened alert joins its notification group (0946); groups due at once
-- (group_wait 0, first tier after 0 s) notify in the same transaction, so the first delivery is in
-- the outbox when the cause commits.

create function private.reopen_window(route jsonb, body jsonb)
returns interval
language sql
immutable
parallel safe
set search_path = ''
as $$
    select pg_catalog.make_interval(secs => coalesce(
        (reopen_window.route ->> 'reopen_window_seconds')::double precision,
        (reopen_window.body #>> '{defaults,reopen_window_seconds}')::double precision,
        3600
    ))
$$;

comment on function private.reopen_window(jsonb, jsonb) is
'How long after resolution a recurring problem reopens its alert instead of opening a new one: the route''s reopen_window_seconds, else defaults.reopen_window_seconds, else 1 hour.';

create function private.first_escalation_at(route jsonb, opened_at timestamptz)
returns timestamptz
language sql
immutable
parallel safe
set search_path = ''
as $$
    -- Tier 1 is due group_wait after the alert (re)opened plus its own after_seconds.
    select first_escalation_at.opened_at + pg_catalog.make_interval(secs =>
        coalesce((first_escalation_at.route ->> 'group_wait_seconds')::double precision, 0)
        + coalesce((first_escalation_at.route #>> '{escalation,0,after_seconds}')::double precision, 0))
$$;

comment on function private.first_escalation_at(jsonb, timestamptz) is
'When an alert opened at opened_at reaches tier 1: after the route''s group_wait_seconds plus the first tier''s after_seconds.';

create function private.route_alert_signals(signal_ids bigint [])
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
    v_groups uuid [] := '{}'::uuid [];
    v_joined uuid [] := '{}'::uuid [];
    v_resolved public.alerts;
    v_as_of timestamptz;
    v_counted boolean;
begin
    for v_signal in
        select s.* from public.alert_signals as s where s.id = any(route_alert_signals.signal_ids) order by s.id
    loop
        v_as_of := v_signal.raised_at;
        if v_signal.is_recovery then
            -- GUARD: groups before their alerts, the order every alerting path locks in, so a sweep
            -- notifying a group (group, then its alerts) never deadlocks with this transaction.
            perform 1 from public.alert_groups as g
            where g.id in (
                select a.group_id from public.alerts as a
                where a.workspace_id = v_signal.workspace_id
                  and a.fingerprint = v_signal.fingerprint
                  and a.status <> 'resolved'
            )
            order by g.id
            for update;
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
            -- GUARD: the group of the alert this signal counts into or reopens is locked before the alert
            -- (the order of every alerting path: no deadlock with a sweep notifying that group).
            perform 1 from public.alert_groups as g
            where g.id in (
                select a.group_id from public.alerts as a
                where a.workspace_id = v_signal.workspace_id
                  and a.route_name = v_route.route_name
                  and a.fingerprint = v_signal.fingerprint
                  and (a.status <> 'resolved'
                      or a.resolved_at >= v_as_of - private.reopen_window(v_route.route, v_version.body))
            )
            order by g.id
            for update;
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
                    v_groups := v_groups || private.join_alert_group(v_alert.id, v_version.id, v_route.route,
                        v_route.group_key, v_labels, v_as_of);
                    v_joined := v_joined || v_alert.id;
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
                        v_groups := v_groups || private.join_alert_group(v_alert.id, v_version.id, v_route.route,
                            v_route.group_key, v_labels, v_as_of);
                        v_joined := v_joined || v_alert.id;
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
        end loop;
    end loop;

    -- The groups that alerts joined: whether the newcomers are muted, when each group is due, and
    -- the ones due now notify in this transaction (group_wait 0: the first delivery is in the
    -- outbox when the cause commits). A signal counted into an existing alert changes no group.
    if pg_catalog.cardinality(v_groups) > 0 then
        v_groups := array(select distinct g.id from pg_catalog.unnest(v_groups) as g (id));
        perform private.mute_alerts(v_joined, v_as_of);
        perform private.schedule_alert_groups(v_groups, v_as_of);
        perform private.flush_alert_groups(v_groups, v_as_of);
    end if;
end
$$;

comment on function private.route_alert_signals(bigint []) is
'Signals to alerts, in id order: a problem signal updates, reopens (within the reopen window) or opens the alert of (route, fingerprint) on every route that takes it; a new or reopened alert joins its notification group, and the groups due at once notify; a recovery signal resolves the unresolved alerts of its fingerprint. Audited in alert_changes with actor system:signal / system:recovery.';

create function private.alert_signals_after_insert()
returns trigger
language plpgsql
set search_path = ''
-- Routing looks alerts up by key: index lookups whatever the statement that raised the signals set
-- (the runs triggers turn nested loops off for their own joins, 0300).
set enable_nestloop = on
as $$
begin
    perform private.route_alert_signals(array(select n.id from new_signals as n order by n.id));
    return null;
end
$$;

comment on function private.alert_signals_after_insert() is
'Trigger: routes the signals of the statement into alerts (private.route_alert_signals).';

create trigger alert_signals_after_insert
after insert on public.alert_signals
referencing new table as new_signals
for each statement execute function private.alert_signals_after_insert();
