-- Why: a statement that only completes runs cost about 0.9 ms more with the signal trigger (its
-- recovery check joins runs, specs and alerts for every success). Most workspaces have no
-- unresolved alert a success could clear: the trigger now returns after one probe of the
-- unresolved alerts of the statement's workspaces.

set lock_timeout = '5s';
set statement_timeout = '60s';

-- Why: the signals that have a moment (issue 14) are raised by the write that causes them, in its
-- transaction: a run's final failure, time-out or success (a trigger on run_transitions, the audit
-- every status change already writes, so no core lease function changes), a zombie's refused write
-- and a failed artifact verification (a trigger on run_events, whose lease.rejected and
-- artifact.verification_failed events the existing RPCs record). Both are statement triggers over
-- transition tables: a batch of 50 completions costs one call, and a statement with nothing to
-- signal costs one scan of its own rows.

create or replace function private.run_transitions_raise_signals()
returns trigger
language plpgsql
set search_path = ''
-- Fired inside private.runs_after_update, which turns nested loops off for its own joins (0300);
-- a SET clause lasts for nested calls, and without nested loops every lookup below (runs, specs,
-- alerts by key) became a scan of its whole table: seconds per completion on a large runs table.
set enable_nestloop = on
as $$
begin
    if not exists (select from new_transitions as n where n.to_status in ('failed', 'timed_out', 'succeeded')) then
        return null;
    end if;
    -- The hot path: successes only, and no unresolved alert in their workspaces that a success could
    -- clear. One probe of the unresolved alerts per workspace instead of the statement below.
    if not exists (select from new_transitions as n where n.to_status in ('failed', 'timed_out'))
        and not exists (
            select
            from (select distinct n.workspace_id from new_transitions as n where n.to_status = 'succeeded') as w
            inner join public.alerts as a on a.workspace_id = w.workspace_id and a.status <> 'resolved'
        ) then
        return null;
    end if;
    insert into public.alert_signals (
        workspace_id, run_id, spec_name, pool, signal_type, severity, fingerprint, is_recovery, labels, payload, raised_at
    )
    with t as (
        select n.run_id, n.workspace_id, n.attempt_no, n.to_status, n.actor, n.reason, n.at,
            r.pool, s.name as spec_name, s.max_attempts,
            private.spec_alert_labels(s.body) as labels
        from new_transitions as n
        inner join public.runs as r on r.id = n.run_id
        inner join public.pipeline_specs as s on s.id = r.spec_id
        where n.to_status in ('failed', 'timed_out', 'succeeded')
    ),
    problems as (
        select t.*, k.signal_type, 'critical'::text as severity,
            k.signal_type || ':spec:' || t.spec_name as fingerprint
        from t
        cross join lateral (
            select 'run_failed' as signal_type where t.to_status = 'failed'
            union all
            -- The run failed because its attempts ran out (retries were allowed and all were used).
            select 'retries_exhausted' where t.to_status = 'failed' and t.max_attempts > 1 and t.attempt_no >= t.max_attempts
            union all
            select 'run_timed_out' where t.to_status = 'timed_out'
        ) as k
    ),
    recoveries as (
        -- A success clears the problems of its pipeline and of its own run that still have an
        -- unresolved alert (a retry that succeeds resolves "run longer than threshold").
        select distinct on (t.workspace_id, f.fingerprint) t.*, f.fingerprint
        from t
        cross join lateral pg_catalog.unnest(array[
            'run_failed:spec:' || t.spec_name, 'retries_exhausted:spec:' || t.spec_name,
            'run_timed_out:spec:' || t.spec_name, 'run_too_long:run:' || t.run_id::text
        ]) as f (fingerprint)
        where t.to_status = 'succeeded'
          and exists (
              select from public.alerts as a
              where a.workspace_id = t.workspace_id and a.fingerprint = f.fingerprint and a.status <> 'resolved'
          )
        order by t.workspace_id, f.fingerprint, t.at desc
    )
    select p.workspace_id, p.run_id, p.spec_name, p.pool, p.signal_type, p.severity, p.fingerprint, false, p.labels,
        pg_catalog.jsonb_build_object(
            'reason', p.reason, 'actor', p.actor, 'attempt_no', p.attempt_no, 'max_attempts', p.max_attempts,
            'error_class', a.error_class, 'error_message', pg_catalog.left(a.error_message, 500)
        ),
        p.at
    from problems as p
    left join public.run_attempts as a on a.run_id = p.run_id and a.attempt_no = p.attempt_no
    union all
    select r.workspace_id, r.run_id, r.spec_name, r.pool, 'run_recovered', 'info', r.fingerprint, true, r.labels,
        pg_catalog.jsonb_build_object('reason', r.reason, 'attempt_no', r.attempt_no, 'recovered_by_run', r.run_id),
        r.at
    from recoveries as r
    order by 11, 2;
    return null;
end
$$;

comment on function private.run_transitions_raise_signals() is
'Trigger: raises run_failed (and retries_exhausted when the attempts ran out) for a final failure, run_timed_out for a time-out, and run_recovered for a success when its pipeline''s failure, time-out or exhaustion, or its own run_too_long, has an unresolved alert. One statement per batch of transitions.';


create or replace function private.run_events_raise_signals()
returns trigger
language plpgsql
set search_path = ''
-- Index lookups whatever the firing statement set (see run_transitions_raise_signals).
set enable_nestloop = on
as $$
begin
    if not exists (
        select from new_events as e where e.type in ('lease.rejected', 'artifact.verification_failed')
    ) then
        return null;
    end if;
    insert into public.alert_signals (
        workspace_id, run_id, spec_name, pool, executor_id, signal_type, severity, fingerprint, labels, payload, raised_at
    )
    select e.workspace_id, e.run_id, s.name, r.pool, a.executor_id,
        case e.type when 'lease.rejected' then 'lease_rejected' else 'artifact_verification_failed' end,
        case e.type when 'lease.rejected' then 'warning' else 'critical' end,
        case e.type
            when 'lease.rejected' then 'lease_rejected:run:' || e.run_id::text
            else 'artifact_verification_failed:artifact:' || coalesce(e.payload ->> 'artifact_id', e.run_id::text)
        end,
        private.spec_alert_labels(s.body),
        e.payload || pg_catalog.jsonb_build_object('message', e.message, 'event_id', e.id, 'phase', e.phase),
        e.ts
    from new_events as e
    inner join public.runs as r on r.id = e.run_id
    inner join public.pipeline_specs as s on s.id = r.spec_id
    left join public.run_attempts as a on a.id = e.attempt_id
    where e.type in ('lease.rejected', 'artifact.verification_failed')
    order by e.id;
    return null;
end
$$;

comment on function private.run_events_raise_signals() is
'Trigger: raises lease_rejected (a zombie''s write refused, with the executor) and artifact_verification_failed (an artifact missing or not matching its record) from the run events the RPCs record. One statement per batch of events.';
