-- Why: one scoring engine (docs/architecture.md, "Scheduling"). private.score_factors returns every
-- factor of a run with its raw value, normalised value, weight and contribution; the stored score
-- (runs.score, the claim order) is their sum, and explain_score shows the same rows, so what an
-- operator reads is what the claim used. The engine takes plain values, not a run, so alerts can
-- be scored by it too.

create function private.pool_score_weights(pool text)
returns public.score_weights
language sql
stable
set search_path = ''
as $$
    select coalesce(
        (select w from public.score_weights as w where w.pool = pool_score_weights.pool),
        -- A pool without a row: the column defaults (documented on the table).
        pg_catalog.jsonb_populate_record(
            null::public.score_weights,
            pg_catalog.jsonb_build_object(
                'pool', pool_score_weights.pool, 'priority_weight', 1000, 'age_weight', 500,
                'deadline_weight', 1000, 'fair_share_weight', 1000, 'retry_weight', 0, 'duration_weight', 100,
                'age_max_seconds', 3600, 'deadline_horizon_seconds', 3600,
                'fair_share_half_life_seconds', 86400, 'duration_max_seconds', 3600,
                'updated_by', 'service_role'
            )
        )
    )
$$;

comment on function private.pool_score_weights(text) is
'The scoring weights of a pool: its score_weights row, or the defaults (priority 1000, age 500, deadline 1000, fair share 1000, retry 0, duration 100; age and deadline scales 3600 s, half-life 86400 s, duration scale 3600 s).';

create function private.score_factors(
    workspace_id uuid,
    pool text,
    spec_id uuid,
    priority integer,
    queued_at timestamptz,
    due_by timestamptz,
    attempt_count integer,
    as_of timestamptz
)
returns table (factor text, raw double precision, normalised double precision, weight double precision, contribution double precision)
language sql
stable
set search_path = ''
as $$
    with w as (
        select x.* from private.pool_score_weights(score_factors.pool) as x
    ),
    usage as (
        -- The workspace's share of the pool's decayed usage, against an equal share per workspace
        -- that used the pool (Slurm's 2^(-usage/share)): 1 for a workspace that used nothing.
        select
            coalesce(pg_catalog.sum(u.usage_seconds) filter (where u.workspace_id = score_factors.workspace_id), 0)
                as own,
            coalesce(pg_catalog.sum(u.usage_seconds), 0) as total,
            pg_catalog.count(*) filter (where u.workspace_id <> score_factors.workspace_id) + 1 as sharers
        from public.fair_share_usage as u
        where u.pool = score_factors.pool
    ),
    duration as (
        select (
            select e.median_seconds
            from public.spec_duration_estimates as e
            inner join public.pipeline_specs as s on s.workspace_id = e.workspace_id and s.name = e.spec_name
            where s.id = score_factors.spec_id
        ) as median_seconds
    ),
    f (n, factor, raw, normalised, weight) as (
        select 1, 'priority', score_factors.priority::double precision,
            (score_factors.priority + 1000) / 2000.0::double precision, w.priority_weight
        from w
        union all
        select 2, 'age', extract(epoch from score_factors.as_of - score_factors.queued_at)::double precision,
            least(1, greatest(0, extract(epoch from score_factors.as_of - score_factors.queued_at)::double precision
                / w.age_max_seconds)),
            w.age_weight
        from w
        union all
        select 3, 'deadline', extract(epoch from score_factors.due_by - score_factors.as_of)::double precision,
            case when score_factors.due_by is null then 0 else least(1, greatest(0,
                1 - extract(epoch from score_factors.due_by - score_factors.as_of)::double precision
                / w.deadline_horizon_seconds)) end,
            w.deadline_weight
        from w
        union all
        select 4, 'fair_share', case when u.total > 0 then u.own / u.total else 0 end,
            pg_catalog.power(2::double precision,
                -(case when u.total > 0 then u.own / u.total else 0 end) * u.sharers),
            w.fair_share_weight
        from w cross join usage as u
        union all
        select 5, 'retry', score_factors.attempt_count::double precision,
            case when score_factors.attempt_count > 0 then 1 else 0 end::double precision,
            w.retry_weight
        from w
        union all
        select 6, 'duration', d.median_seconds,
            -- least() skips nulls: an unknown duration must stay 0.5, not become 0.
            case when d.median_seconds is null then 0.5
                else 1 - least(1, d.median_seconds / w.duration_max_seconds) end,
            w.duration_weight
        from w cross join duration as d
    )
    select f.factor, f.raw, f.normalised, f.weight, f.normalised * f.weight
    from f
    order by f.n
$$;

comment on function private.score_factors(uuid, text, uuid, integer, timestamptz, timestamptz, integer, timestamptz) is
'The scoring engine: per factor (priority, age, deadline, fair_share, retry, duration) its raw value, its value normalised to [0, 1], the pool''s weight and the contribution (weight x normalised). A run''s score is the sum of the contributions.';

create function private.run_score(
    workspace_id uuid,
    pool text,
    spec_id uuid,
    priority integer,
    queued_at timestamptz,
    due_by timestamptz,
    attempt_count integer,
    as_of timestamptz
)
returns double precision
language sql
stable
set search_path = ''
as $$
    select pg_catalog.sum(f.contribution)
    from private.score_factors(
        run_score.workspace_id, run_score.pool, run_score.spec_id, run_score.priority, run_score.queued_at,
        run_score.due_by, run_score.attempt_count, run_score.as_of
    ) as f
$$;

comment on function private.run_score(uuid, text, uuid, integer, timestamptz, timestamptz, integer, timestamptz) is
'A run''s score at as_of: the sum of private.score_factors'' contributions. Stored in runs.score at submit, on requeue and by the refresh tick.';
