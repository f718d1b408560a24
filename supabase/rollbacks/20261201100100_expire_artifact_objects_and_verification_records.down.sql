-- Rollback of 20261201100100_expire_artifact_objects_and_verification_records.sql.

set lock_timeout = '5s';
set statement_timeout = '60s';

create or replace function public.repair_run(
    run_id uuid, from_phase text default null, idempotency_key text default null, as_of timestamptz default null
)
returns public.runs
language plpgsql
security definer
set search_path = ''
as $$
declare
    v_as_of timestamptz := private.clock(repair_run.as_of);
    v_parent public.runs := private.visible_run(repair_run.run_id);
    v_phases text[];
    v_from text := repair_run.from_phase;
    v_index integer;
    v_reused jsonb;
    v_missing text;
begin
    if not v_parent.status = any(array['failed', 'timed_out', 'cancelled']) then
        raise exception 'run % is %: only a run that failed, timed out or was cancelled can be repaired',
            v_parent.id, v_parent.status
        using errcode = 'PT409',
        detail = 'A repair re-executes the phases a run did not finish.',
        hint = 'Use rerun_run for a new run of a succeeded (or still active) one.';
    end if;
    select pg_catalog.array_agg(p.value ->> 'name' order by p.n) into v_phases
    from public.pipeline_specs as s
    cross join pg_catalog.jsonb_array_elements(
        case when pg_catalog.jsonb_typeof(s.body -> 'phases') = 'array' then s.body -> 'phases' else '[]' end
    ) with ordinality as p (value, n)
    where s.id = v_parent.spec_id;
    if v_from is null then
        -- The phase the last attempt was in when it ended.
        select e.phase into v_from
        from public.run_events as e
        inner join public.run_attempts as a on a.id = e.attempt_id
        where e.run_id = v_parent.id and e.type = 'phase.started' and e.phase is not null
        order by a.attempt_no desc, e.seq desc
        limit 1;
        if v_from is null then
            raise exception 'run % never started a phase; say where to repair from', v_parent.id
            using errcode = '22023',
            detail = 'Without from_phase, a repair starts at the phase the last attempt ended in.',
            hint = 'Pass from_phase, or use rerun_run.';
        end if;
    end if;
    v_index := pg_catalog.array_position(v_phases, v_from);
    if v_index is null then
        raise exception 'phase % is not a phase of this run''s spec', v_from
        using errcode = '22023',
        detail = pg_catalog.format('Phases: %s.', pg_catalog.array_to_string(v_phases, ', ')),
        hint = 'Pass one of them as from_phase.';
    end if;
    v_reused := private.reused_outputs(v_parent, v_phases[1:v_index - 1]);
    -- GUARD: every phase before from_phase must have finished, or there is nothing to reuse.
    select p.name into v_missing
    from pg_catalog.unnest(v_phases[1:v_index - 1]) with ordinality as p (name, n)
    where not pg_catalog.jsonb_path_exists(v_reused, '$[*] ? (@.phase == $p)', pg_catalog.jsonb_build_object('p', p.name))
    order by p.n
    limit 1;
    if v_missing is not null then
        raise exception 'phase % did not finish in run %, so it cannot be reused', v_missing, v_parent.id
        using errcode = 'PT409',
        detail = 'A repair reuses the recorded outputs (artifacts) of every phase before from_phase.',
        hint = pg_catalog.format('Repair from %s or an earlier phase.', v_missing);
    end if;
    return private.resubmit_run(v_parent, 'repair', v_from, v_reused, repair_run.idempotency_key, v_as_of);
end
$$;

comment on function public.repair_run(uuid, text, text, timestamptz) is
'Submits a run that re-executes a failed, timed-out or cancelled run from from_phase (default: the phase its last attempt ended in), reusing the recorded outputs of the phases before it; the executor checks each reused artifact''s SHA-256 before trusting it. Same spec version, params and priority; linked in run_lineage (kind repair, reused). PT409 when the run succeeded or is active, or a phase before from_phase did not finish; 22023 unknown phase; PT404 unknown run.';

revoke execute on function public.repair_run(uuid, text, text, timestamptz) from public, anon, authenticated;
grant execute on function public.repair_run(uuid, text, text, timestamptz) to authenticated, service_role;

drop function public.confirm_artifact_expiries(jsonb, timestamptz);
drop function public.claim_artifact_expiries(text, integer, integer, uuid, timestamptz);
drop function private.first_artifact_expiry_problem(jsonb);
drop function private.assert_retention_caller();

drop function public.set_retention_policy(uuid, integer, integer, integer, integer, timestamptz);

create function public.set_retention_policy(
    workspace_id uuid,
    events_after_days integer default null,
    runs_after_days integer default null,
    as_of timestamptz default null
)
returns public.retention_policies
language plpgsql
security definer
set search_path = ''
as $$
declare
    v_as_of timestamptz := private.clock(set_retention_policy.as_of);
    v_actor text := private.assert_limits_admin(set_retention_policy.workspace_id);
    v_policy public.retention_policies;
begin
    if set_retention_policy.events_after_days not between 1 and 36500
        or set_retention_policy.runs_after_days not between 1 and 36500 then
        raise exception 'retention is 1 to 36500 days, or null to keep forever'
        using errcode = '22023',
        detail = pg_catalog.format('events_after_days=%s runs_after_days=%s',
            set_retention_policy.events_after_days, set_retention_policy.runs_after_days),
        hint = 'Pass a number of days, or null.';
    end if;
    insert into public.retention_policies as p (workspace_id, events_after_days, runs_after_days, updated_at, updated_by)
    values (set_retention_policy.workspace_id, set_retention_policy.events_after_days,
        set_retention_policy.runs_after_days, v_as_of, v_actor)
    on conflict on constraint retention_policies_pkey do update
    set events_after_days = excluded.events_after_days, runs_after_days = excluded.runs_after_days,
        updated_at = excluded.updated_at, updated_by = excluded.updated_by
    returning p.* into v_policy;
    return v_policy;
end
$$;

comment on function public.set_retention_policy(uuid, integer, integer, timestamptz) is
'Sets how long a workspace keeps run events (events_after_days) and finished runs with their history (runs_after_days); null keeps them forever. Admins and owners, or the service role (42501 otherwise); 22023 out of 1..36500 days.';

revoke execute on function public.set_retention_policy(uuid, integer, integer, timestamptz) from public, anon, authenticated;
grant execute on function public.set_retention_policy(uuid, integer, integer, timestamptz) to authenticated, service_role;

create or replace function private.apply_retention(as_of timestamptz, max_rows integer default 5000)
returns jsonb
language plpgsql
set search_path = ''
as $$
declare
    v_budget integer := apply_retention.max_rows;
    v_policy public.retention_policies;
    v_cutoff timestamptz;
    v_count bigint;
    v_total bigint := 0::bigint;
begin
    -- GUARD: one batch of at most max_rows events or runs in all, so a transaction stays short;
    -- `more` tells the caller to commit and call again.
    for v_policy in
        select p.* from public.retention_policies as p
        where p.events_after_days is not null or p.runs_after_days is not null
        order by p.workspace_id
    loop
        if v_policy.runs_after_days is not null and v_budget > 0 then
            v_cutoff := apply_retention.as_of - pg_catalog.make_interval(days => v_policy.runs_after_days);
            v_count := private.purge_finished_runs_of(v_policy.workspace_id, v_cutoff, v_budget);
            if v_count > 0 then
                insert into public.retention_purges (workspace_id, what, rows_purged, cutoff, policy, purged_at)
                values (v_policy.workspace_id, 'runs', v_count, v_cutoff, pg_catalog.to_jsonb(v_policy), apply_retention.as_of);
                v_budget := v_budget - v_count::integer;
                v_total := v_total + v_count;
            end if;
        end if;
        if v_policy.events_after_days is not null and v_budget > 0 then
            v_cutoff := apply_retention.as_of - pg_catalog.make_interval(days => v_policy.events_after_days);
            v_count := private.purge_run_events(v_policy.workspace_id, v_cutoff, v_budget);
            if v_count > 0 then
                insert into public.retention_purges (workspace_id, what, rows_purged, cutoff, policy, purged_at)
                values (v_policy.workspace_id, 'run_events', v_count, v_cutoff, pg_catalog.to_jsonb(v_policy), apply_retention.as_of);
                v_budget := v_budget - v_count::integer;
                v_total := v_total + v_count;
            end if;
        end if;
        exit when v_budget <= 0;
    end loop;
    return pg_catalog.jsonb_build_object('purged', v_total, 'more', v_budget <= 0);
end
$$;

comment on function private.apply_retention(timestamptz, integer) is
'Applies every workspace''s retention policy as of as_of: finished runs (with their history) and run events older than the policy, at most max_rows rows in all per call, each batch recorded in retention_purges. Returns {purged, more}; more = the budget ran out, call again after committing.';

drop function private.purge_artifact_verifications(uuid, timestamptz, integer);

drop table public.artifact_expiries;
drop table public.artifact_expiry_queue;

alter table public.retention_purges drop constraint retention_purges_what_valid;
alter table public.retention_purges add constraint retention_purges_what_valid check (what in ('run_events', 'runs'));

comment on column public.retention_purges.what is 'run_events | runs (runs include their attempts, transitions, events, artifact records and lineage).';
comment on column public.retention_purges.rows_purged is 'How many events, or runs, the batch removed.';

alter table public.retention_policies
drop column artifacts_after_days,
drop column verifications_after_days;
