-- Why: waking executors (20261130300000) ran on every submit and read the whole executor registry
-- (a row per worker process ever registered, never purged) and every live attempt of every pool.
-- Measured in one transaction, 1,000 single submits with 20,000 old registrations of other pools:
-- 6.5-8.7 ms a submit instead of 1.0. It now reads only the pool's recently seen active executors
-- and counts each one's live leases through a partial index.

set lock_timeout = '5s';
set statement_timeout = '60s';

create index executors_pool_last_seen_at_idx on public.executors (pool, last_seen_at)
where status = 'active';

create index run_attempts_live_executor_id_idx on public.run_attempts (executor_id)
where finished_at is null;

create or replace function private.wake_executors(pool text, runs bigint, not_before timestamptz)
returns void
language plpgsql
set search_path = ''
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
