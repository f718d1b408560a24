-- Rollback of 20261126070000_batch_the_lease_lifecycle: complete_runs and the start flag of
-- claim_runs go; claim_runs is re-created exactly as 20261126030600 made it.

drop function public.complete_runs(uuid, jsonb, timestamptz);
drop function public.claim_runs(uuid, integer, text, jsonb, timestamptz, boolean);
drop function private.event_problem(jsonb);

create function public.claim_runs(
    executor_id uuid,
    max_runs integer default 1,
    pool text default null,
    labels jsonb default null,
    as_of timestamptz default null
)
returns table (
    run_id uuid,
    attempt_id uuid,
    attempt_no integer,
    lease_token uuid,
    lease_expires_at timestamptz,
    heartbeat_tolerance_seconds double precision,
    deadline_at timestamptz,
    workspace_id uuid,
    spec_id uuid,
    spec_name text,
    spec_version text,
    spec_hash text,
    spec_body jsonb,
    params jsonb,
    priority integer
)
language plpgsql
security definer
set search_path = ''
as $$
#variable_conflict use_column
declare
    v_as_of timestamptz := coalesce(claim_runs.as_of, pg_catalog.now());
    v_executor public.executors;
    v_labels jsonb;
begin
    v_executor := private.assert_executor(claim_runs.executor_id);
    if claim_runs.max_runs is null or claim_runs.max_runs not between 1 and 100 then
        raise exception 'max_runs must be between 1 and 100'
        using errcode = '22023',
        detail = pg_catalog.format('Got %s.', coalesce(claim_runs.max_runs::text, 'null')),
        hint = 'Claim what the executor can run now.';
    end if;
    if claim_runs.pool is not null and claim_runs.pool <> v_executor.pool then
        raise exception 'executor % claims from pool %, not %', v_executor.id, v_executor.pool, claim_runs.pool
        using errcode = '42501',
        detail = 'An executor claims only from the pool of its token.',
        hint = 'Omit pool, or register an executor with a token for that pool.';
    end if;
    v_labels := coalesce(claim_runs.labels, v_executor.labels);
    if pg_catalog.jsonb_typeof(v_labels) <> 'object' then
        raise exception 'labels must be a JSON object'
        using errcode = '22023',
        detail = pg_catalog.format('Got %s.', pg_catalog.jsonb_typeof(v_labels)),
        hint = 'Omit labels to use the registered ones.';
    end if;

    update public.executors as x set last_seen_at = greatest(x.last_seen_at, v_as_of)
    where x.id = v_executor.id;

    return query
    with picked as (
        select r.id, r.workspace_id, r.spec_id, r.params, r.priority, r.attempt_count,
            r.score, r.created_at
        from public.runs as r
        where r.status = 'queued'
          and r.pool = v_executor.pool
          and r.not_before <= v_as_of
          and r.required_labels <@ v_labels
          and (v_executor.workspace_id is null or r.workspace_id = v_executor.workspace_id)
        order by r.score desc, r.created_at, r.id
        limit claim_runs.max_runs
        for update of r skip locked
    ),
    attempts as (
        insert into public.run_attempts as a (
            run_id, workspace_id, attempt_no, executor_id, status, claimed_at, heartbeat_at,
            heartbeat_tolerance, lease_expires_at
        )
        select p.id, p.workspace_id, p.attempt_count + 1, v_executor.id, 'claimed', v_as_of, v_as_of,
            s.heartbeat_tolerance, v_as_of + s.heartbeat_tolerance
        from picked as p
        inner join public.pipeline_specs as s on s.id = p.spec_id
        returning a.id, a.run_id, a.attempt_no, a.lease_token, a.lease_expires_at, a.heartbeat_tolerance
    ),
    claimed as (
        update public.runs as r
        set status = 'claimed',
            attempt_count = a.attempt_no,
            first_claimed_at = coalesce(r.first_claimed_at, v_as_of),
            deadline_at = coalesce(r.deadline_at, v_as_of + s.max_run_duration),
            status_changed_at = v_as_of,
            status_changed_by = 'executor:' || v_executor.id::text,
            status_reason = pg_catalog.format('claimed (attempt %s)', a.attempt_no),
            updated_at = v_as_of
        from attempts as a, public.pipeline_specs as s
        where r.id = a.run_id and s.id = r.spec_id
        returning r.id, r.deadline_at
    )
    select a.run_id, a.id, a.attempt_no, a.lease_token, a.lease_expires_at,
        extract(epoch from a.heartbeat_tolerance)::double precision,
        c.deadline_at, p.workspace_id, s.id, s.name, s.version, s.spec_hash, s.body, p.params, p.priority
    from attempts as a
    inner join claimed as c on c.id = a.run_id
    inner join picked as p on p.id = a.run_id
    inner join public.pipeline_specs as s on s.id = p.spec_id
    order by p.score desc, p.created_at, p.id;
end
$$;

comment on function public.claim_runs(uuid, integer, text, jsonb, timestamptz) is
'Claims up to max_runs queued runs of the executor''s pool whose not_before has passed and whose required labels the executor has, in score order, in one statement (FOR UPDATE SKIP LOCKED). Returns per run the attempt, its lease token and what the executor needs to run it.';

revoke execute on function public.claim_runs(uuid, integer, text, jsonb, timestamptz)
from public, anon, authenticated, service_role;
grant execute on function public.claim_runs(uuid, integer, text, jsonb, timestamptz) to controlroom_executor;
