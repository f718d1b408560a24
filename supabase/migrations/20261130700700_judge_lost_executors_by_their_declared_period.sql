-- Why: executors now declare their heartbeat period and the control plane has one liveness rule
-- (private.executor_is_live: silent for three periods). executor_lost follows it when the routing
-- sets no defaults.executor_lost_seconds, instead of a fixed 5 minutes.

set lock_timeout = '5s';
set statement_timeout = '60s';

-- Why: some signals are about time passing, not about a write (issue 14): a run running longer than
-- its spec's alerts.duration_warning_seconds (Databricks' duration warning), queued runs waiting
-- past their threshold (run_stuck_queued, or cap_exceeded when a cap holds them, with the wait
-- reason of explain_wait), an executor whose heartbeats stopped (executor_lost) and a workspace
-- burning its daily budget (budget_burn). The sweep raises them, and their recoveries for the
-- unresolved alerts whose condition cleared (queue_drained, executor_recovered, budget_recovered),
-- then runs the escalation sweep. A condition that holds is raised again at most every 10 minutes
-- (it counts into its alert, or reopens it within the reopen window).

create or replace function private.raise_time_signals(as_of timestamptz, workspace_id uuid default null)
returns integer
language plpgsql
set search_path = ''
as $$
declare
    v_raised integer := 0;
    v_count integer;
    v_stuck record;
    v_wait record;
    v_stuck_pools text [] := '{}'::text [];
begin
    -- run_too_long: active runs past their spec's duration warning, once per run.
    insert into public.alert_signals (
        workspace_id, run_id, spec_name, pool, signal_type, severity, fingerprint, labels, payload, raised_at
    )
    select r.workspace_id, r.id, s.name, r.pool, 'run_too_long', 'warning', 'run_too_long:run:' || r.id::text,
        private.spec_alert_labels(s.body),
        pg_catalog.jsonb_build_object(
            'threshold_seconds', private.spec_alert_seconds(s.body, 'duration_warning_seconds'),
            'running_seconds', extract(epoch from raise_time_signals.as_of - r.first_claimed_at)::double precision,
            'attempt_no', r.attempt_count, 'first_claimed_at', r.first_claimed_at
        ),
        raise_time_signals.as_of
    from public.runs as r
    inner join public.pipeline_specs as s on s.id = r.spec_id
    where r.status = any(private.active_run_statuses())
      and (raise_time_signals.workspace_id is null or r.workspace_id = raise_time_signals.workspace_id)
      and r.first_claimed_at + pg_catalog.make_interval(
          secs => private.spec_alert_seconds(s.body, 'duration_warning_seconds')
      ) <= raise_time_signals.as_of
      and not exists (
          select from public.alert_signals as g
          where g.workspace_id = r.workspace_id and g.fingerprint = 'run_too_long:run:' || r.id::text
      )
    order by r.id;
    get diagnostics v_count = row_count;
    v_raised := v_raised + v_count;

    -- run_stuck_queued / cap_exceeded: per workspace with routing and pool, the longest-waiting due
    -- queued run past its threshold (the spec's alerts.queued_warning_seconds, else the routing's
    -- defaults.queued_warning_seconds), with the first reason explain_wait gives.
    for v_stuck in
        select distinct on (r.workspace_id, r.pool) r.id as run_id, r.workspace_id, r.pool, s.name as spec_name,
            private.spec_alert_labels(s.body) as labels, th.seconds as threshold,
            r.status_changed_at as queued_at
        from (
            select distinct v.workspace_id from public.alert_route_versions as v
            where raise_time_signals.workspace_id is null or v.workspace_id = raise_time_signals.workspace_id
        ) as w
        cross join lateral (select (private.current_route_version(w.workspace_id)).body) as cv (body)
        inner join public.runs as r on r.workspace_id = w.workspace_id and r.status = 'queued'
        inner join public.pipeline_specs as s on s.id = r.spec_id
        cross join lateral (select coalesce(
            private.spec_alert_seconds(s.body, 'queued_warning_seconds'),
            (cv.body #>> '{defaults,queued_warning_seconds}')::double precision
        ) as seconds) as th
        where th.seconds is not null
          and r.not_before <= raise_time_signals.as_of
          and r.status_changed_at <= raise_time_signals.as_of - pg_catalog.make_interval(secs => th.seconds)
        order by r.workspace_id, r.pool, r.status_changed_at, r.id
    loop
        v_stuck_pools := v_stuck_pools || (v_stuck.workspace_id::text || '/' || v_stuck.pool);
        select e.reason, e.message, e.details into v_wait
        from public.explain_wait(v_stuck.run_id, raise_time_signals.as_of) as e
        order by e.rank
        limit 1;
        insert into public.alert_signals (
            workspace_id, run_id, spec_name, pool, signal_type, severity, fingerprint, labels, payload, raised_at
        )
        select v_stuck.workspace_id, v_stuck.run_id, v_stuck.spec_name, v_stuck.pool, k.signal_type, 'warning',
            k.signal_type || ':pool:' || v_stuck.pool, v_stuck.labels,
            pg_catalog.jsonb_build_object(
                'threshold_seconds', v_stuck.threshold,
                'queued_seconds', extract(epoch from raise_time_signals.as_of - v_stuck.queued_at)::double precision,
                'wait_reason', v_wait.reason, 'wait_message', v_wait.message, 'wait_details', v_wait.details
            ),
            raise_time_signals.as_of
        from (select case when v_wait.reason in ('workspace_cap_full', 'pool_cap_full', 'spec_cap_full', 'budget_exhausted')
            then 'cap_exceeded' else 'run_stuck_queued' end as signal_type) as k
        where not exists (
            select from public.alert_signals as g
            where g.workspace_id = v_stuck.workspace_id and g.fingerprint = k.signal_type || ':pool:' || v_stuck.pool
              and g.raised_at > raise_time_signals.as_of - interval '10 minutes'
        );
        get diagnostics v_count = row_count;
        v_raised := v_raised + v_count;
    end loop;

    -- executor_lost: an active executor not seen for the threshold (the routing's
    -- defaults.executor_lost_seconds, else three declared heartbeat periods) within the last day, for its workspace or,
    -- for a shared executor, for every workspace whose runs it holds.
    insert into public.alert_signals (
        workspace_id, pool, executor_id, signal_type, severity, fingerprint, labels, payload, raised_at
    )
    select l.workspace_id, l.pool, l.id, 'executor_lost', 'critical', 'executor_lost:executor:' || l.id::text,
        l.labels,
        pg_catalog.jsonb_build_object(
            'last_seen_at', l.last_seen_at, 'threshold_seconds', l.threshold, 'host', l.host,
            'live_attempts', (
                select pg_catalog.count(*) from public.run_attempts as a
                where a.executor_id = l.id and a.finished_at is null
            )
        ),
        raise_time_signals.as_of
    from (
        select distinct x.id, ws.workspace_id, x.pool, x.labels, x.host, x.last_seen_at,
            coalesce(th.seconds, 3 * x.heartbeat_seconds) as threshold
        from public.executors as x
        cross join lateral (
            select x.workspace_id where x.workspace_id is not null
            union
            select a.workspace_id from public.run_attempts as a
            where x.workspace_id is null and a.executor_id = x.id and a.finished_at is null
        ) as ws
        cross join lateral (select
            ((private.current_route_version(ws.workspace_id)).body #>> '{defaults,executor_lost_seconds}')::double precision
            as seconds) as th
        where x.status = 'active'
          and x.last_seen_at >= raise_time_signals.as_of - interval '1 day'
          -- The routing's threshold, else the one liveness rule (silent for three declared periods).
          and case when th.seconds is null
              then not private.executor_is_live(x.last_seen_at, x.heartbeat_seconds, raise_time_signals.as_of)
              else x.last_seen_at < raise_time_signals.as_of - pg_catalog.make_interval(secs => th.seconds)
          end
          and (raise_time_signals.workspace_id is null or ws.workspace_id = raise_time_signals.workspace_id)
    ) as l
    where not exists (
        select from public.alert_signals as g
        where g.workspace_id = l.workspace_id and g.fingerprint = 'executor_lost:executor:' || l.id::text
          and g.raised_at > raise_time_signals.as_of - interval '10 minutes'
    )
    order by l.workspace_id, l.id;
    get diagnostics v_count = row_count;
    v_raised := v_raised + v_count;

    -- budget_burn: the day's committed run-seconds past the routing's defaults.budget_burn_ratio
    -- (else 0.8) of the daily budget; critical once the budget is spent.
    insert into public.alert_signals (
        workspace_id, signal_type, severity, fingerprint, payload, raised_at
    )
    select b.workspace_id, 'budget_burn', case when b.committed >= b.budget then 'critical' else 'warning' end,
        'budget_burn:workspace',
        pg_catalog.jsonb_build_object('committed_seconds', b.committed, 'budget_seconds', b.budget,
            'ratio', b.committed / b.budget, 'threshold_ratio', b.ratio, 'resets_at', b.resets_at),
        raise_time_signals.as_of
    from (
        select wl.workspace_id, wb.committed_seconds as committed, wb.budget_seconds as budget, wb.resets_at,
            coalesce(((private.current_route_version(wl.workspace_id)).body #>> '{defaults,budget_burn_ratio}')::double precision, 0.8) as ratio
        from public.workspace_limits as wl
        cross join lateral private.workspace_budget(wl.workspace_id, raise_time_signals.as_of) as wb
        where wl.daily_budget_seconds > 0
          and (raise_time_signals.workspace_id is null or wl.workspace_id = raise_time_signals.workspace_id)
    ) as b
    where b.budget > 0 and b.committed >= b.ratio * b.budget
      and not exists (
          select from public.alert_signals as g
          where g.workspace_id = b.workspace_id and g.fingerprint = 'budget_burn:workspace'
            and g.raised_at > raise_time_signals.as_of - interval '10 minutes'
      )
    order by b.workspace_id;
    get diagnostics v_count = row_count;
    v_raised := v_raised + v_count;

    -- Recoveries: the unresolved alerts of time-based problems whose condition has cleared.
    insert into public.alert_signals (
        workspace_id, pool, executor_id, signal_type, severity, fingerprint, is_recovery, payload, raised_at
    )
    select distinct on (a.workspace_id, a.fingerprint) a.workspace_id, a.subject ->> 'pool',
        (a.subject ->> 'executor_id')::uuid,
        case a.signal_type
            when 'executor_lost' then 'executor_recovered'
            when 'budget_burn' then 'budget_recovered'
            else 'queue_drained'
        end,
        'info', a.fingerprint, true,
        pg_catalog.jsonb_build_object('alert_id', a.id, 'problem', a.signal_type),
        raise_time_signals.as_of
    from public.alerts as a
    where a.status <> 'resolved'
      and a.signal_type in ('run_stuck_queued', 'cap_exceeded', 'executor_lost', 'budget_burn')
      and (raise_time_signals.workspace_id is null or a.workspace_id = raise_time_signals.workspace_id)
      -- The condition no longer holds at as_of.
      and case a.signal_type
          when 'executor_lost' then exists (
              select from public.executors as x
              where x.id = (a.subject ->> 'executor_id')::uuid
                and (x.status <> 'active' or x.last_seen_at >= raise_time_signals.as_of - pg_catalog.make_interval(secs =>
                    coalesce(((private.current_route_version(a.workspace_id)).body #>> '{defaults,executor_lost_seconds}')::double precision,
                        3 * x.heartbeat_seconds)))
          )
          when 'budget_burn' then exists (
              select
              from private.workspace_budget(a.workspace_id, raise_time_signals.as_of) as wb
              where wb.budget_seconds is null or wb.budget_seconds <= 0
                 or wb.committed_seconds < wb.budget_seconds * coalesce(
                     ((private.current_route_version(a.workspace_id)).body #>> '{defaults,budget_burn_ratio}')::double precision, 0.8)
          )
          -- A queue alert clears when no due run of its pool waits past its threshold (the loop
          -- above found none, whether or not it raised a signal).
          else (a.workspace_id::text || '/' || (a.subject ->> 'pool')) <> all(v_stuck_pools)
      end
    order by a.workspace_id, a.fingerprint;
    get diagnostics v_count = row_count;
    return v_raised + v_count;
end
$$;

comment on function private.raise_time_signals(timestamptz, uuid) is
'The time-based signals at as_of (optionally for one workspace): run_too_long (spec alerts.duration_warning_seconds, once per run), run_stuck_queued or cap_exceeded (per pool, the longest-waiting due run past alerts.queued_warning_seconds or the routing''s defaults.queued_warning_seconds, with its explain_wait reason), executor_lost (defaults.executor_lost_seconds, else silent for three declared heartbeat periods, private.executor_is_live), budget_burn (defaults.budget_burn_ratio, else 0.8); a holding condition at most every 10 minutes; then the recoveries of unresolved alerts whose condition cleared. Returns how many signals were raised.';

create or replace function public.sweep_alerts(as_of timestamptz default null, workspace_id uuid default null, max_alerts integer default 1000)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
    v_as_of timestamptz := private.clock(sweep_alerts.as_of);
    v_raised integer;
    v_notified integer;
begin
    perform private.assert_dispatcher_caller();
    if sweep_alerts.max_alerts is null or sweep_alerts.max_alerts not between 1 and 100000 then
        raise exception 'max_alerts must be between 1 and 100000'
        using errcode = '22023', detail = pg_catalog.format('max_alerts=%s', sweep_alerts.max_alerts),
        hint = 'The sweep is bounded; call it again for the rest.';
    end if;
    v_raised := private.raise_time_signals(v_as_of, sweep_alerts.workspace_id);
    v_notified := private.escalate_due_alerts(v_as_of, sweep_alerts.max_alerts, sweep_alerts.workspace_id);
    return pg_catalog.jsonb_build_object(
        'signals_raised', v_raised, 'alerts_notified', v_notified,
        'more', v_notified >= sweep_alerts.max_alerts, 'as_of', v_as_of
    );
end
$$;

comment on function public.sweep_alerts(timestamptz, uuid, integer) is
'The alert sweep (pg_cron every minute, and tests with as_of): raises the time-based signals and their recoveries (private.raise_time_signals), then escalates up to max_alerts due alerts (private.escalate_due_alerts). Answers {signals_raised, alerts_notified, more, as_of}. Service role only.';

revoke execute on function public.sweep_alerts(timestamptz, uuid, integer) from public, anon, authenticated;
grant execute on function public.sweep_alerts(timestamptz, uuid, integer) to service_role;
