-- Why: one scoring engine (docs/architecture.md, "Scheduling"). Each factor is normalised by one
-- small function; private.score_factors_in lists them with raw value, normalised value, weight and
-- contribution (explain_score), private.score_in sums them (the stored runs.score, the claim order),
-- so what an operator reads is what the claim used. What is the same for every run of a workspace,
-- pool and spec (weights, fair share, expected duration) is one private.score_context, computed once
-- per group when many runs are scored. The engine takes plain values, not a run, so alerts can be
-- scored by it too.

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

create type private.score_context as (
    priority_weight double precision,
    age_weight double precision,
    deadline_weight double precision,
    fair_share_weight double precision,
    retry_weight double precision,
    duration_weight double precision,
    age_max_seconds double precision,
    deadline_horizon_seconds double precision,
    fair_share_usage double precision,
    fair_share double precision,
    duration_median_seconds double precision,
    duration double precision
);

comment on type private.score_context is
'What a score needs beyond the run''s own values, the same for every run of one workspace, pool and spec: the pool''s weights and scales, the workspace''s fair-share usage and factor in the pool, the pipeline''s median duration and its factor. Computed once per group (private.score_context) so that scoring many runs costs a few lookups per group, not per run.';

create function private.score_context(workspace_id uuid, pool text, spec_id uuid)
returns private.score_context
language sql
stable
set search_path = ''
as $$
    with w as (
        select x.* from private.pool_score_weights(score_context.pool) as x
    ),
    usage as (
        -- The workspace's share of the pool's decayed usage, against an equal share per workspace
        -- that used the pool (Slurm's 2^(-usage/share)): 1 for a workspace that used nothing.
        select
            case when pg_catalog.sum(u.usage_seconds) > 0
                then coalesce(pg_catalog.sum(u.usage_seconds) filter (where u.workspace_id = score_context.workspace_id), 0)
                    / pg_catalog.sum(u.usage_seconds)
                else 0 end as own_share,
            pg_catalog.count(*) filter (where u.workspace_id <> score_context.workspace_id) + 1 as sharers
        from public.fair_share_usage as u
        where u.pool = score_context.pool
    ),
    duration as (
        select (
            select e.median_seconds
            from public.spec_duration_estimates as e
            inner join public.pipeline_specs as s on s.workspace_id = e.workspace_id and s.name = e.spec_name
            where s.id = score_context.spec_id
        ) as median_seconds
    )
    select row(
        w.priority_weight, w.age_weight, w.deadline_weight, w.fair_share_weight, w.retry_weight, w.duration_weight,
        w.age_max_seconds, w.deadline_horizon_seconds,
        u.own_share,
        pg_catalog.power(2::double precision, -u.own_share * u.sharers),
        d.median_seconds,
        -- Unknown duration: 0.5 (least() would skip the null and give 0).
        case when d.median_seconds is null then 0.5
            else 1 - least(1, d.median_seconds / w.duration_max_seconds) end
    )::private.score_context
    from w cross join usage as u cross join duration as d
$$;

comment on function private.score_context(uuid, text, uuid) is
'The score context of runs of a spec version in a workspace and pool (private.score_context): weights, fair share 2^(-usage/share) and the expected-duration factor 1 - median / duration_max_seconds (0.5 when unknown).';

create function private.priority_factor(priority integer)
returns double precision
language sql
immutable
parallel safe
set search_path = ''
as $$
    select (priority_factor.priority + 1000) / 2000.0::double precision
$$;

comment on function private.priority_factor(integer) is 'The priority factor: -1000..1000 mapped to 0..1.';

create function private.age_factor(queued_at timestamptz, as_of timestamptz, age_max_seconds double precision)
returns double precision
language sql
immutable
parallel safe
set search_path = ''
as $$
    select least(1, greatest(0,
        extract(epoch from age_factor.as_of - age_factor.queued_at)::double precision / age_factor.age_max_seconds
    ))
$$;

comment on function private.age_factor(timestamptz, timestamptz, double precision) is
'The age factor: time waited since queued or requeued over age_max_seconds, capped at 1.';

create function private.deadline_factor(due_by timestamptz, as_of timestamptz, horizon_seconds double precision)
returns double precision
language sql
immutable
parallel safe
set search_path = ''
as $$
    select case when deadline_factor.due_by is null then 0::double precision else least(1, greatest(0,
        1 - extract(epoch from deadline_factor.due_by - deadline_factor.as_of)::double precision
        / deadline_factor.horizon_seconds
    )) end
$$;

comment on function private.deadline_factor(timestamptz, timestamptz, double precision) is
'The deadline urgency factor: 0 without due_by, rising linearly to 1 over horizon_seconds before due_by, 1 when overdue.';

create function private.retry_factor(attempt_count integer)
returns double precision
language sql
immutable
parallel safe
set search_path = ''
as $$
    select case when retry_factor.attempt_count > 0 then 1 else 0 end::double precision
$$;

comment on function private.retry_factor(integer) is 'The retry factor: 1 for a run that was attempted before, else 0.';

create function private.score_in(
    context private.score_context,
    priority integer,
    queued_at timestamptz,
    due_by timestamptz,
    attempt_count integer,
    as_of timestamptz
)
returns double precision
language plpgsql
immutable
parallel safe
set search_path = ''
-- PL/pgSQL, not SQL: a function that pins search_path is never inlined, and a SQL function called
-- per row costs about five times more than PL/pgSQL's cached expression (measured: 48 µs against
-- 9 µs per run), which is what submit_runs and the refresh tick pay per run.
as $$
begin
    -- The sum of private.score_factors_in's contributions, as one expression.
    return score_in.context.priority_weight * private.priority_factor(score_in.priority)
        + score_in.context.age_weight
        * private.age_factor(score_in.queued_at, score_in.as_of, score_in.context.age_max_seconds)
        + score_in.context.deadline_weight
        * private.deadline_factor(score_in.due_by, score_in.as_of, score_in.context.deadline_horizon_seconds)
        + score_in.context.fair_share_weight * score_in.context.fair_share
        + score_in.context.retry_weight * private.retry_factor(score_in.attempt_count)
        + score_in.context.duration_weight * score_in.context.duration;
end
$$;

comment on function private.score_in(private.score_context, integer, timestamptz, timestamptz, integer, timestamptz) is
'A run''s score in its context: Σ weight x factor (the sum of private.score_factors_in). Used where many runs are scored at once (submit, the refresh tick).';

create function private.score_factors_in(
    context private.score_context,
    priority integer,
    queued_at timestamptz,
    due_by timestamptz,
    attempt_count integer,
    as_of timestamptz
)
returns table (factor text, raw double precision, normalised double precision, weight double precision, contribution double precision)
language sql
immutable
set search_path = ''
as $$
    select f.factor, f.raw, f.normalised, f.weight, f.normalised * f.weight
    from (
        values
        (1, 'priority', score_factors_in.priority::double precision,
            private.priority_factor(score_factors_in.priority), (score_factors_in.context).priority_weight),
        (2, 'age', extract(epoch from score_factors_in.as_of - score_factors_in.queued_at)::double precision,
            private.age_factor(score_factors_in.queued_at, score_factors_in.as_of, (score_factors_in.context).age_max_seconds),
            (score_factors_in.context).age_weight),
        (3, 'deadline', extract(epoch from score_factors_in.due_by - score_factors_in.as_of)::double precision,
            private.deadline_factor(
                score_factors_in.due_by, score_factors_in.as_of, (score_factors_in.context).deadline_horizon_seconds
            ),
            (score_factors_in.context).deadline_weight),
        (4, 'fair_share', (score_factors_in.context).fair_share_usage, (score_factors_in.context).fair_share,
            (score_factors_in.context).fair_share_weight),
        (5, 'retry', score_factors_in.attempt_count::double precision,
            private.retry_factor(score_factors_in.attempt_count), (score_factors_in.context).retry_weight),
        (6, 'duration', (score_factors_in.context).duration_median_seconds, (score_factors_in.context).duration,
            (score_factors_in.context).duration_weight)
    ) as f (n, factor, raw, normalised, weight)
    order by f.n
$$;

comment on function private.score_factors_in(private.score_context, integer, timestamptz, timestamptz, integer, timestamptz) is
'The scoring engine: per factor (priority, age, deadline, fair_share, retry, duration) its raw value, its value normalised to [0, 1] by the factor functions, the weight and the contribution (weight x normalised). A run''s score is the sum of the contributions (private.score_in).';

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
    select private.score_in(
        private.score_context(run_score.workspace_id, run_score.pool, run_score.spec_id),
        run_score.priority, run_score.queued_at, run_score.due_by, run_score.attempt_count, run_score.as_of
    )
$$;

comment on function private.run_score(uuid, text, uuid, integer, timestamptz, timestamptz, integer, timestamptz) is
'One run''s score at as_of: private.score_in in the run''s private.score_context. Stored in runs.score on requeue; submit and the refresh tick compute the context once per group.';
