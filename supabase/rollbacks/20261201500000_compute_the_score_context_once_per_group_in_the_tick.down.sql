-- Rollback of 20261201500000: the tick computes the score context in a subquery again.

set lock_timeout = '5s';
set statement_timeout = '60s';

create or replace function public.refresh_scores(
    pool text,
    max_runs integer default 10000,
    as_of timestamptz default null
)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
#variable_conflict use_column
declare
    v_as_of timestamptz := private.clock(refresh_scores.as_of);
    v_state public.score_refresh_state;
    v_weights public.score_weights := private.pool_score_weights(refresh_scores.pool);
    v_charged integer := 0;
    v_estimated integer := 0;
    v_ids uuid[];
    v_rescored integer := 0;
begin
    if not private.caller_is_service_or_owner() then
        raise exception 'only the service role refreshes scores'
        using errcode = '42501',
        detail = pg_catalog.format('The caller''s role is %s.', private.caller_role()),
        hint = 'pg_cron runs the tick every minute (controlroom_refresh_scores).';
    end if;
    if refresh_scores.max_runs is null or refresh_scores.max_runs not between 1 and 100000 then
        raise exception 'max_runs must be between 1 and 100000'
        using errcode = '22023',
        detail = pg_catalog.format('Got %s.', coalesce(refresh_scores.max_runs::text, 'null')),
        hint = 'Rescore in bounded batches; the next tick resumes.';
    end if;

    -- A pool's first tick charges one half-life of history (undecayed), not all of it.
    insert into public.score_refresh_state as st (pool, charged_through, refreshed_at)
    values (
        refresh_scores.pool,
        v_as_of - pg_catalog.make_interval(secs => v_weights.fair_share_half_life_seconds),
        v_as_of
    )
    on conflict (pool) do nothing;
    -- GUARD: one tick per pool at a time; a concurrent one skips instead of charging usage twice.
    select st.* into v_state from public.score_refresh_state as st
    where st.pool = refresh_scores.pool
    for update skip locked;
    if not found then
        return pg_catalog.jsonb_build_object('pool', refresh_scores.pool, 'skipped', true);
    end if;

    if v_as_of > v_state.charged_through then
        -- Decay, then charge the pool's attempt time in (charged_through, as_of].
        update public.fair_share_usage as u
        set usage_seconds = u.usage_seconds * pg_catalog.power(
                2::double precision,
                -extract(epoch from v_as_of - u.decayed_at)::double precision / v_weights.fair_share_half_life_seconds
            ),
            decayed_at = v_as_of
        where u.pool = refresh_scores.pool and u.decayed_at < v_as_of;

        insert into public.fair_share_usage as u (pool, workspace_id, usage_seconds, decayed_at)
        select refresh_scores.pool, a.workspace_id,
            pg_catalog.sum(extract(epoch from
                least(coalesce(a.finished_at, v_as_of), v_as_of) - greatest(a.started_at, v_state.charged_through)
            ))::double precision,
            v_as_of
        from public.workspaces as w
        cross join lateral (
            select a.workspace_id, a.run_id, a.started_at, a.finished_at
            from public.run_attempts as a
            where a.workspace_id = w.id
              and (a.finished_at is null or a.finished_at > v_state.charged_through)
        ) as a
        inner join public.runs as r on r.id = a.run_id
        where r.pool = refresh_scores.pool
          and a.started_at is not null
          and a.started_at < v_as_of
          and least(coalesce(a.finished_at, v_as_of), v_as_of) > greatest(a.started_at, v_state.charged_through)
        group by a.workspace_id
        on conflict (pool, workspace_id) do update
        set usage_seconds = u.usage_seconds + excluded.usage_seconds, decayed_at = excluded.decayed_at;
        get diagnostics v_charged = row_count;

        -- Median duration of the last 20 succeeded attempts of each pipeline that finished one.
        insert into public.spec_duration_estimates as e (workspace_id, spec_name, median_seconds, samples, updated_at)
        select t.workspace_id, t.spec_name, m.median_seconds, m.samples, v_as_of
        from (
            select distinct a.workspace_id, s.name as spec_name
            from public.workspaces as w
            cross join lateral (
                select a.workspace_id, a.run_id
                from public.run_attempts as a
                where a.workspace_id = w.id
                  and a.finished_at > v_state.charged_through and a.finished_at <= v_as_of
                  and a.status = 'succeeded'
            ) as a
            inner join public.runs as r on r.id = a.run_id
            inner join public.pipeline_specs as s on s.id = r.spec_id
            where r.pool = refresh_scores.pool
        ) as t
        cross join lateral (
            select
                pg_catalog.percentile_cont(0.5) within group (order by x.seconds)::double precision as median_seconds,
                pg_catalog.count(*)::integer as samples
            from (
                select extract(epoch from a.finished_at - a.started_at)::double precision as seconds
                from public.run_attempts as a
                inner join public.runs as r on r.id = a.run_id
                inner join public.pipeline_specs as s on s.id = r.spec_id
                where a.workspace_id = t.workspace_id and s.name = t.spec_name
                  and a.status = 'succeeded' and a.started_at is not null
                  and a.finished_at <= v_as_of
                order by a.finished_at desc
                limit 20
            ) as x
        ) as m
        where m.samples > 0
        on conflict (workspace_id, spec_name) do update
        set median_seconds = excluded.median_seconds, samples = excluded.samples, updated_at = excluded.updated_at;
        get diagnostics v_estimated = row_count;
    end if;

    -- One bounded batch of the pool's queued runs, resuming after the last one rescored; runs a
    -- claim holds are skipped (the claim is about to take them anyway).
    select pg_catalog.array_agg(q.id order by q.id) into v_ids
    from (
        select r.id
        from public.runs as r
        where r.status = 'queued' and r.pool = refresh_scores.pool
          and (v_state.cursor_run_id is null or r.id > v_state.cursor_run_id)
        order by r.id
        limit refresh_scores.max_runs
        for update of r skip locked
    ) as q;
    if v_ids is not null then
        -- What scores share is computed once per workspace and spec of the batch.
        update public.runs as r
        set score = private.score_in(
            x.context, r.priority, r.status_changed_at, r.due_by, r.attempt_count, v_as_of
        )
        from (
            select g.workspace_id, g.spec_id,
                private.score_context(g.workspace_id, refresh_scores.pool, g.spec_id) as context
            from (
                select distinct q.workspace_id, q.spec_id from public.runs as q where q.id = any(v_ids)
            ) as g
        ) as x
        where r.id = any(v_ids) and r.workspace_id = x.workspace_id and r.spec_id = x.spec_id;
        get diagnostics v_rescored = row_count;
    end if;

    update public.score_refresh_state as st
    set charged_through = greatest(st.charged_through, v_as_of),
        cursor_run_id = case when pg_catalog.cardinality(v_ids) = refresh_scores.max_runs then v_ids[refresh_scores.max_runs] end,
        refreshed_at = v_as_of
    where st.pool = refresh_scores.pool;

    return pg_catalog.jsonb_build_object(
        'pool', refresh_scores.pool,
        'skipped', false,
        'usage_rows_charged', v_charged,
        'durations_estimated', v_estimated,
        'rescored', v_rescored,
        'more', coalesce(pg_catalog.cardinality(v_ids), 0) = refresh_scores.max_runs
    );
end
$$;
