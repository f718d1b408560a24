-- Executors are untrusted, stateless and may be zombies (paused, partitioned, killed and
-- restarted). Every write they make goes through the executor RPCs and carries the attempt's lease
-- token, so the database alone decides whether the write still counts (fencing). A write with a
-- dead lease changes nothing and is answered with HTTP 409 (PT409); the rejection is recorded as
-- a run event in the same, committed, transaction (see docs/architecture.md, "Control plane").
--
-- A run costs its executor three lease calls (claim, start, complete) plus an event flush, each its
-- own committed transaction; on a small machine the commits and the per-statement trigger work
-- dominate (docs/benchmarks.md). The batched forms keep every guarantee per run and cut the commits.
-- claim_runs(..., start => true) claims and starts the runs in one transaction, for an executor
-- that runs what it claims at once (both transitions are still audited).

create function public.claim_runs(
    executor_id uuid,
    max_runs integer default 1,
    pool text default null,
    labels jsonb default null,
    as_of timestamptz default null,
    start boolean default false
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
-- The claim must stay an index scan of runs_claimable_idx whatever the cached plan saw (20261126070100).
set enable_seqscan = off
as $$
#variable_conflict use_column
declare
    v_as_of timestamptz := private.clock(claim_runs.as_of);
    v_executor public.executors;
    v_actor text;
    v_labels jsonb;
    v_run_ids uuid[];
    v_claimed private.run_change[];
    v_started private.run_change[];
    v_skip_workspaces uuid[];
    v_skip_specs uuid[];
    v_candidates uuid[];
    v_capped uuid[];
begin
    v_executor := private.assert_executor(claim_runs.executor_id);
    if claim_runs.max_runs is null or claim_runs.max_runs not between 1 and 100 then
        raise exception 'max_runs must be between 1 and 100'
        using errcode = '22023',
        detail = pg_catalog.format('Got %s.', coalesce(claim_runs.max_runs::text, 'null')),
        hint = 'Claim what the executor can run now.';
    end if;
    if claim_runs.start is null then
        raise exception 'start must be true or false'
        using errcode = '22023',
        detail = 'Got null.',
        hint = 'Pass start => true to claim and start in one call, or omit it.';
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
    v_actor := 'executor:' || v_executor.id::text;

    update public.executors as x set last_seen_at = greatest(x.last_seen_at, v_as_of)
    where x.id = v_executor.id;

    -- Orchestration caps (docs/caps.md): skip the workspaces and specs that cannot take a run now.
    -- Every cap hangs off a workspace_limits row: with none in the executor's reach there is nothing
    -- to skip, and the filter (SQL functions, planned on every call: ≈ 1 ms of a ≈ 3 ms claim) is
    -- not run at all.
    if exists (
        select from public.workspace_limits as wl
        where v_executor.workspace_id is null or wl.workspace_id = v_executor.workspace_id
    ) then
        select f.workspace_ids, f.spec_ids into v_skip_workspaces, v_skip_specs
        from private.capped_claim_filter(v_executor.pool, v_executor.workspace_id, v_as_of) as f;
    else
        v_skip_workspaces := '{}';
        v_skip_specs := '{}';
    end if;

    -- The scan for candidates runs in a subtransaction that is rolled back (CR001 is raised and
    -- caught here, never returned). A run another claim took and committed after this scan's snapshot
    -- is locked by the scan when it meets it (READ COMMITTED locks the newest version, then finds it
    -- no longer queued) and Postgres keeps that lock until the end of the transaction: the executor
    -- that owns the run then waited for this whole claim to commit before it could complete it
    -- (Lock:transactionid, 50 ms per completion at 32 executors; docs/benchmarks.md). Locks taken in
    -- a rolled-back subtransaction are released with it.
    begin
        select pg_catalog.array_agg(p.id order by p.score desc, p.created_at, p.id) into v_candidates
        from (
            select r.id, r.score, r.created_at
            from public.runs as r
            where r.status = 'queued'
              and r.pool = v_executor.pool
              and r.not_before <= v_as_of
              and r.required_labels <@ v_labels
              and (v_executor.workspace_id is null or r.workspace_id = v_executor.workspace_id)
              and r.workspace_id <> all(v_skip_workspaces)
              and r.spec_id <> all(v_skip_specs)
            order by r.score desc, r.created_at, r.id
            limit claim_runs.max_runs
            for update of r skip locked
        ) as p;
        raise sqlstate 'CR001';
    exception when sqlstate 'CR001' then
        null;
    end;
    if v_candidates is null then
        return;
    end if;
    -- GUARD: concurrent claimers skip each other's locked rows, so a run is claimed once; the
    -- rows stay locked until commit, across the transition statements below. The candidates are
    -- locked again by primary key and checked again: a claim that took one of them meanwhile wins it.
    select pg_catalog.array_agg(p.id order by p.score desc, p.created_at, p.id) into v_candidates
    from (
        select r.id, r.score, r.created_at
        from public.runs as r
        where r.id = any(v_candidates)
          and r.status = 'queued'
          and r.not_before <= v_as_of
        for update of r skip locked
    ) as p;
    if v_candidates is null then
        return;
    end if;

    -- GUARD: caps hold under concurrency. Claims of a capped workspace take its workspace_limits
    -- row lock (in workspace order, so claimers never deadlock) and count what runs in a statement
    -- of their own, after every earlier claim of the workspace committed.
    v_capped := array(
        select distinct r.workspace_id
        from public.runs as r
        where r.id = any(v_candidates)
          and exists (select from public.workspace_limits as wl where wl.workspace_id = r.workspace_id)
        order by r.workspace_id
    );
    if pg_catalog.cardinality(v_capped) > 0 then
        perform
        from public.workspace_limits as wl
        where wl.workspace_id = any(v_capped)
        order by wl.workspace_id
        for no key update;
        v_candidates := private.admit_within_caps(v_candidates, v_executor.pool, v_as_of);
    end if;

    with picked as (
        select r.id, r.workspace_id, r.spec_id, r.attempt_count
        from public.runs as r
        where r.id = any(v_candidates)
    ),
    attempts as (
        -- Started at once, the attempt is running from its first row; the run still passes
        -- through claimed (below), so the audit shows both steps.
        insert into public.run_attempts as a (
            run_id, workspace_id, attempt_no, executor_id, status, claimed_at, started_at, heartbeat_at,
            heartbeat_tolerance, lease_expires_at
        )
        select p.id, p.workspace_id, p.attempt_count + 1, v_executor.id,
            case when claim_runs.start then 'running' else 'claimed' end,
            v_as_of, case when claim_runs.start then v_as_of end, v_as_of,
            s.heartbeat_tolerance, v_as_of + s.heartbeat_tolerance
        from picked as p
        inner join public.pipeline_specs as s on s.id = p.spec_id
        returning a.run_id, a.attempt_no
    )
    select pg_catalog.array_agg(a.run_id),
        pg_catalog.array_agg(row(
            a.run_id, 'claimed', v_actor, pg_catalog.format('claimed (attempt %s)', a.attempt_no),
            null, v_as_of + s.max_run_duration
        )::private.run_change),
        pg_catalog.array_agg(row(
            a.run_id, 'running', v_actor, pg_catalog.format('started (attempt %s)', a.attempt_no), null, null
        )::private.run_change)
    into v_run_ids, v_claimed, v_started
    from attempts as a
    inner join picked as p on p.id = a.run_id
    inner join public.pipeline_specs as s on s.id = p.spec_id;

    if v_run_ids is null then
        return;
    end if;
    perform private.transition_runs(v_claimed, v_as_of);
    if claim_runs.start then
        perform private.transition_runs(v_started, v_as_of);
    end if;

    return query
    select a.run_id, a.id, a.attempt_no, a.lease_token, a.lease_expires_at,
        extract(epoch from a.heartbeat_tolerance)::double precision,
        r.deadline_at, r.workspace_id, s.id, s.name, s.version, s.spec_hash, s.body, r.params, r.priority
    from public.runs as r
    inner join public.run_attempts as a on a.run_id = r.id and a.attempt_no = r.attempt_count
    inner join public.pipeline_specs as s on s.id = r.spec_id
    where r.id = any(v_run_ids)
    order by r.score desc, r.created_at, r.id;
end
$$;

comment on function public.claim_runs(uuid, integer, text, jsonb, timestamptz, boolean) is
'Claims up to max_runs queued runs of the executor''s pool whose not_before has passed and whose required labels the executor has, in score order (FOR UPDATE SKIP LOCKED), never past a workspace, pool or pipeline concurrency cap or the daily budget (docs/caps.md; capped workspaces are serialised on their workspace_limits row). With start => true the runs are also started (claimed -> running, both audited) in the same transaction, for an executor that runs them at once. Returns per run the attempt, its lease token and what the executor needs to run it.';

revoke execute on function public.claim_runs(uuid, integer, text, jsonb, timestamptz, boolean)
from public, anon, authenticated, service_role;
grant execute on function public.claim_runs(uuid, integer, text, jsonb, timestamptz, boolean) to controlroom_executor;
