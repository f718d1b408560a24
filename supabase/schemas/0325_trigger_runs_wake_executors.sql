-- Why: executors learn that runs became claimable by a push, not by polling the claim (issue 18).
-- When a statement makes runs of a pool claimable (a submit, a requeue, a retry with backoff), one
-- message per pool goes out on the pool's topic, naming the number of new runs and as many
-- executors to wake: an idle fleet costs the control plane nothing, and a wake-up does not
-- stampede the pool. On hosted Supabase the message is a Realtime Broadcast from the database
-- (realtime.send, delivered to private channels authorised by RLS on realtime.messages); the local
-- stack has no realtime schema, so the same message goes out with pg_notify on controlroom_wake and
-- the local Realtime-compatible endpoint relays it (docs/realtime.md). Statement-level triggers
-- with transition tables: a 10,000-run requeue sends one message per pool, not 10,000.

create function private.wake_topic(pool text)
returns text
language sql
immutable
parallel safe
set search_path = ''
as $$
    select 'controlroom:wake:' || wake_topic.pool
$$;

comment on function private.wake_topic(text) is
'The Realtime topic on which executors of a pool are woken (controlroom:wake:<pool>); a client joins it as channel realtime:<topic>.';

create function private.wake_executors(pool text, runs bigint, not_before timestamptz)
returns void
language plpgsql
set search_path = ''
-- The runs triggers that call it turn nested loops off for their own joins, and a function's
-- settings hold for what it calls: the lookup below is a nested loop by construction, and planned
-- with them off its cost carries the disable penalty, far above jit_above_cost (every wake-up was
-- JIT-compiled: 100-220 ms of CPU, docs/benchmarks.md).
set enable_nestloop = on
as $$
declare
    v_executors uuid[];
    v_payload jsonb;
begin
    -- Whom to wake: active executors of the pool seen within the last minute (idle ones poll the
    -- claim at the fallback interval, busy ones heartbeat), those holding the fewest live leases
    -- first, ties broken at random so consecutive wake-ups spread over the pool. At most one
    -- executor per new run, and never more than a claim can take (100).
    -- Every submit pays for this: it reads only the pool's recently seen executors
    -- (executors_pool_last_seen_at_idx) and counts each one's live leases through
    -- run_attempts_live_executor_id_idx, never the whole registry or every live attempt.
    select pg_catalog.array_agg(c.id) into v_executors
    from (
        select x.id
        from public.executors as x
        cross join lateral (
            select pg_catalog.count(*) as leases
            from public.run_attempts as a
            where a.executor_id = x.id
              and a.finished_at is null
        ) as l
        where x.pool = wake_executors.pool
          and x.status = 'active'
          and x.last_seen_at > pg_catalog.now() - interval '1 minute'
        order by l.leases, pg_catalog.random()
        limit least(wake_executors.runs, 100)
    ) as c;
    if v_executors is null then
        return;  -- nobody listens: an executor that starts later claims at once
    end if;

    v_payload := pg_catalog.jsonb_build_object(
        'pool', wake_executors.pool,
        'runs', wake_executors.runs,
        'not_before', wake_executors.not_before,
        'executors', pg_catalog.to_jsonb(v_executors)
    );
    if pg_catalog.to_regprocedure('realtime.send(jsonb,text,text,boolean)') is not null then
        -- Hosted Supabase: Broadcast from the database, private channel (RLS on realtime.messages).
        -- Dynamic only because the local stack has no realtime schema to check a static call against;
        -- the statement text is constant and the values are parameters.
        execute 'select realtime.send($1, $2, $3, true)'
        using v_payload, 'runs_claimable', private.wake_topic(wake_executors.pool);
    else
        perform pg_catalog.pg_notify(
            'controlroom_wake',
            pg_catalog.jsonb_build_object(
                'topic', private.wake_topic(wake_executors.pool),
                'event', 'runs_claimable',
                'private', true,
                'payload', v_payload
            )::text
        );
    end if;
end
$$;

comment on function private.wake_executors(text, bigint, timestamptz) is
'Wakes up to `runs` executors of a pool: one Realtime broadcast (realtime.send when the realtime schema exists, otherwise pg_notify on controlroom_wake for the local endpoint) on private.wake_topic(pool), event runs_claimable, payload {pool, runs, not_before, executors}. Sends nothing when no live executor of the pool is registered.';


create function private.runs_wake_after_insert()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
    perform private.wake_executors(w.pool, w.runs, w.not_before)
    from (
        select n.pool, pg_catalog.count(*) as runs, pg_catalog.min(n.not_before) as not_before
        from new_runs as n
        where n.status = 'queued'
        group by n.pool
    ) as w;
    return null;
end
$$;

comment on function private.runs_wake_after_insert() is
'Trigger: submitted runs wake executors of their pool, one message per pool per statement (private.wake_executors).';

create trigger runs_wake_after_insert
after insert on public.runs
referencing new table as new_runs
for each statement execute function private.runs_wake_after_insert();

create function private.runs_wake_after_update()
returns trigger
language plpgsql
set search_path = ''
-- Transition tables carry no statistics: a hash join keeps a 10,000-run requeue linear.
set enable_nestloop = off
as $$
begin
    perform private.wake_executors(w.pool, w.runs, w.not_before)
    from (
        select n.pool, pg_catalog.count(*) as runs, pg_catalog.min(n.not_before) as not_before
        from new_runs as n
        inner join old_runs as o on o.id = n.id
        where n.status = 'queued' and o.status <> 'queued'
        group by n.pool
    ) as w;
    -- A run that finishes frees room under its workspace's orchestration caps (concurrency, the
    -- budget's reservation): runs that waited for that room become claimable without a status
    -- change of their own, so the pool of the finished run is woken for as many runs as finished.
    -- Only workspaces with limits pay for it (no limits row: nothing ever waits for room). Other
    -- pools of a workspace-wide cap find the room at their fallback poll (docs/realtime.md).
    perform private.wake_executors(f.pool, f.runs, null)
    from (
        select n.pool, pg_catalog.count(*) as runs
        from new_runs as n
        inner join old_runs as o on o.id = n.id
        where o.status = any(private.active_run_statuses())
          and n.status = any(private.terminal_run_statuses())
          and exists (select from public.workspace_limits as l where l.workspace_id = n.workspace_id)
        group by n.pool
    ) as f;
    return null;
end
$$;

comment on function private.runs_wake_after_update() is
'Trigger: runs that become queued again (a lost lease, a retry after backoff) wake executors of their pool, one message per pool per statement; not_before tells the woken executors when the earliest of them becomes claimable. Runs that finish in a workspace with orchestration caps wake their pool too: the room they free may let a waiting run be claimed.';

create trigger runs_wake_after_update
after update on public.runs
referencing old table as old_runs new table as new_runs
for each statement execute function private.runs_wake_after_update();
