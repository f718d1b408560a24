-- Why: scoring one run at a time cost about a millisecond (the pool's weights, its fair-share
-- usage and the pipeline's median duration looked up per run), which capped submit_runs and the
-- refresh tick far below their targets. What is the same for every run of a workspace, pool and spec
-- becomes one private.score_context, computed once per group; each factor's normalisation is one
-- small function, summed by private.score_in and listed by private.score_factors_in (explain_score).
-- private.score_factors (a private helper no client calls) is replaced by score_factors_in.

set lock_timeout = '5s';
set statement_timeout = '60s';

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
language sql
immutable
parallel safe
set search_path = ''
as $$
    -- The sum of private.score_factors_in's contributions, as one expression (cheap per run).
    select (score_in.context).priority_weight * private.priority_factor(score_in.priority)
        + (score_in.context).age_weight
        * private.age_factor(score_in.queued_at, score_in.as_of, (score_in.context).age_max_seconds)
        + (score_in.context).deadline_weight
        * private.deadline_factor(score_in.due_by, score_in.as_of, (score_in.context).deadline_horizon_seconds)
        + (score_in.context).fair_share_weight * (score_in.context).fair_share
        + (score_in.context).retry_weight * private.retry_factor(score_in.attempt_count)
        + (score_in.context).duration_weight * (score_in.context).duration
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

create or replace function private.run_score(
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

drop function private.score_factors(uuid, text, uuid, integer, timestamptz, timestamptz, integer, timestamptz);

create or replace function public.explain_score(run_id uuid, as_of timestamptz default null)
returns table (
    factor text,
    raw double precision,
    normalised double precision,
    weight double precision,
    contribution double precision
)
language plpgsql
stable
security definer
set search_path = ''
as $$
#variable_conflict use_column
declare
    v_as_of timestamptz := private.clock(explain_score.as_of);
    v_run public.runs;
    v_context private.score_context;
    v_queued_at timestamptz;
begin
    select r.* into v_run from public.runs as r where r.id = explain_score.run_id;
    if not found or (
        private.caller_role() = 'authenticated' and not private.is_member(v_run.workspace_id, 'viewer')
    ) or (private.caller_role() <> 'authenticated' and not private.caller_is_service_or_owner()) then
        raise exception 'run % not found', explain_score.run_id
        using errcode = 'PT404',
        detail = 'No run with this id is visible to the caller.',
        hint = 'Check the run id and the workspace you are a member of.';
    end if;
    v_context := private.score_context(v_run.workspace_id, v_run.pool, v_run.spec_id);
    v_queued_at := case when v_run.status = 'queued' then v_run.status_changed_at else v_as_of end;
    return query
    select f.factor, f.raw, f.normalised, f.weight, f.contribution
    from private.score_factors_in(v_context, v_run.priority, v_queued_at, v_run.due_by, v_run.attempt_count, v_as_of) as f;
    -- The sum at as_of, and the score stored for the claim order (as of the last refresh).
    return query
    select 'total', null::double precision, null::double precision, null::double precision,
        private.score_in(v_context, v_run.priority, v_queued_at, v_run.due_by, v_run.attempt_count, v_as_of);
    return query
    select 'stored', null::double precision, null::double precision, null::double precision, v_run.score;
end
$$;

comment on function public.explain_score(uuid, timestamptz) is
'Every factor of a run''s score at as_of (priority, age, deadline, fair_share, retry, duration): raw value, value normalised to [0, 1], the pool''s weight and the contribution; then total (their sum) and stored (runs.score, the claim order as of the last refresh). Members (viewer and up) and the service role; others get PT404.';

create or replace function private.submit_runs(workspace_id uuid, items jsonb, as_of timestamptz, actor text)
returns table (
    item integer,
    outcome text,
    code text,
    message text,
    detail text,
    hint text,
    run_id uuid
)
language plpgsql
volatile
set search_path = ''
-- Spec and key lookups must stay index probes whatever the cached plan saw (20261126070100).
set enable_seqscan = off
as $$
#variable_conflict use_column
declare
    v_limits public.workspace_limits;
    v_room integer;
    v_queued integer;
begin
    -- Items are well formed (private.assert_submit_item) and their idempotency keys distinct.
    select wl.* into v_limits from public.workspace_limits as wl
    where wl.workspace_id = submit_runs.workspace_id;
    if v_limits.max_queued_runs is not null then
        -- GUARD: concurrent submits of a workspace with a queue cap queue one at a time past this
        -- lock, so the count below (a statement of its own) sees every run queued before.
        perform from public.workspace_limits as wl
        where wl.workspace_id = submit_runs.workspace_id
        for no key update;
        select pg_catalog.count(*)::integer into v_queued
        from (
            select from public.runs as r
            where r.workspace_id = submit_runs.workspace_id and r.status = 'queued'
            limit v_limits.max_queued_runs
        ) as q;
        v_room := v_limits.max_queued_runs - v_queued;
    end if;

    return query
    with req as (
        select
            (x.n - 1)::integer as item,
            x.e ->> 'spec_name' as spec_name,
            x.e ->> 'spec_version' as spec_version,
            x.e ->> 'spec_hash' as spec_hash,
            coalesce(x.e -> 'params', '{}'::jsonb) as params_in,
            coalesce((x.e ->> 'priority')::integer, 0) as priority,
            x.e ->> 'idempotency_key' as idempotency_key,
            (x.e ->> 'due_by')::timestamptz as due_by
        from pg_catalog.jsonb_array_elements(submit_runs.items) with ordinality as x (e, n)
    ),
    refs as (
        -- Each distinct spec reference of the batch is looked up once.
        select distinct q.spec_name, q.spec_version, q.spec_hash from req as q
    ),
    specs as (
        select f.spec_name as ref_name, f.spec_version as ref_version, f.spec_hash as ref_hash,
            s.id as spec_id, s.pool, s.required_labels, s.name, s.version,
            coalesce(s.body -> 'params', '{}'::jsonb) as params_schema
        from refs as f
        left join lateral (
            select s.id, s.pool, s.required_labels, s.name, s.version, s.body
            from public.pipeline_specs as s
            where s.workspace_id = submit_runs.workspace_id
              and (
                  (f.spec_hash is not null and s.spec_hash = f.spec_hash)
                  or (f.spec_name is not null and s.name = f.spec_name
                      and (f.spec_version is null or s.version = f.spec_version))
              )
            -- "Latest": the highest integer version; non-integer versions by publish time.
            order by
                case when s.version ~ '^[0-9]{1,18}$' then s.version::bigint end desc nulls last,
                s.published_at desc,
                s.id desc
            limit 1
        ) as s on true
    ),
    resolved as (
        select q.*, p.spec_id, p.pool, p.required_labels, p.name, p.version, p.params_schema
        from req as q
        inner join specs as p
            on p.ref_name is not distinct from q.spec_name
            and p.ref_version is not distinct from q.spec_version
            and p.ref_hash is not distinct from q.spec_hash
    ),
    checked as (
        select v.*, d.params, e.id as existing_id,
            (v.spec_id, d.params, v.priority, v.due_by)
            is not distinct from (e.spec_id, e.params, e.priority, e.due_by) as same_request,
            pr.problems
        from resolved as v
        cross join lateral (select private.params_with_defaults(v.params_schema, v.params_in) as params) as d
        cross join lateral (
            select private.params_problems(v.params_schema, d.params, pg_catalog.format('params of %s v%s', v.name, v.version))
                as problems
        ) as pr
        left join public.runs as e
            on v.idempotency_key is not null
            and e.workspace_id = submit_runs.workspace_id and e.idempotency_key = v.idempotency_key
    ),
    judged as (
        -- The first refusal that applies, in the order submit_run has always checked them; a
        -- retried submit of a run already queued under its key is answered, not refused again.
        select c.*, j.code, j.message, j.detail, j.hint
        from checked as c
        left join lateral (
            select p.code, p.message, p.detail, p.hint
            from (
                select 1 as n, 'PT404' as code,
                    pg_catalog.format('spec %s is not published in workspace %s',
                        coalesce(c.spec_hash, c.spec_name || coalesce('@' || c.spec_version, '')), submit_runs.workspace_id)
                        as message,
                    'No published spec version matches.' as detail,
                    'Publish the spec with publish_spec first, or check the name, version or hash.' as hint
                where c.spec_id is null
                union all
                select 2, '23505',
                    pg_catalog.format('idempotency key %s was used for a different request', c.idempotency_key),
                    pg_catalog.format('Run %s was submitted with this key for another spec, params, priority or due_by.', c.existing_id),
                    'Use a new idempotency key for a new request.'
                where c.spec_id is not null and c.existing_id is not null and not c.same_request
                union all
                select 3, '22023', c.problems,
                    'The params do not match the spec''s params schema (defaults filled in).',
                    'Fix the params; `controlroom spec show` prints the schema.'
                where c.spec_id is not null and c.existing_id is null and c.problems is not null
                union all
                select 4, '22023',
                    pg_catalog.format('priority %s is above the workspace''s maximum priority %s', c.priority, v_limits.max_priority),
                    pg_catalog.format('priority=%s limit=%s', c.priority, v_limits.max_priority),
                    'Submit with a lower priority, or ask a workspace admin to raise max_priority.'
                where c.spec_id is not null and c.existing_id is null and c.priority > v_limits.max_priority
            ) as p
            order by p.n
            limit 1
        ) as j on true
    ),
    ranked as (
        select j.*, pg_catalog.gen_random_uuid() as new_id,
            pg_catalog.count(*) filter (where j.code is null and j.existing_id is null)
                over (order by j.item rows between unbounded preceding and current row) as new_rank
        from judged as j
    ),
    contexts as (
        -- What scores share, once per pool and spec of the batch (private.score_context).
        select g.pool, g.spec_id, private.score_context(submit_runs.workspace_id, g.pool, g.spec_id) as context
        from (select distinct k.pool, k.spec_id from ranked as k where k.spec_id is not null) as g
    ),
    inserted as (
        insert into public.runs as r (
            id, workspace_id, spec_id, params, priority, idempotency_key, pool, required_labels,
            submitted_by, created_at, score, not_before, status_changed_at, status_changed_by,
            status_reason, updated_at, due_by
        )
        select
            k.new_id, submit_runs.workspace_id, k.spec_id, k.params, k.priority, k.idempotency_key, k.pool,
            k.required_labels, (select auth.uid()), submit_runs.as_of,
            private.score_in(x.context, k.priority, submit_runs.as_of, k.due_by, 0, submit_runs.as_of),
            submit_runs.as_of, submit_runs.as_of, submit_runs.actor, 'submitted', submit_runs.as_of, k.due_by
        from ranked as k
        inner join contexts as x on x.pool = k.pool and x.spec_id = k.spec_id
        where k.code is null and k.existing_id is null and (v_room is null or k.new_rank <= v_room)
        order by k.item
        on conflict (workspace_id, idempotency_key) where idempotency_key is not null do nothing
        returning r.id
    )
    select k.item,
        case
            when k.code is not null then 'rejected'
            when k.existing_id is not null then 'duplicate'
            when i.id is not null then 'accepted'
            else 'rejected'
        end,
        case
            when k.code is not null then k.code
            when k.existing_id is not null or i.id is not null then null
            when v_room is not null and k.new_rank > v_room then 'PT429'
            else '40001'
        end,
        case
            when k.code is not null then k.message
            when k.existing_id is not null or i.id is not null then null
            when v_room is not null and k.new_rank > v_room then
                pg_catalog.format('workspace %s has %s queued runs, its limit', submit_runs.workspace_id, v_limits.max_queued_runs)
            else pg_catalog.format('idempotency key %s is being used by a concurrent submit', k.idempotency_key)
        end,
        case
            when k.code is not null then k.detail
            when k.existing_id is not null or i.id is not null then null
            when v_room is not null and k.new_rank > v_room then
                pg_catalog.format('queued=%s limit=%s', v_limits.max_queued_runs, v_limits.max_queued_runs)
            else 'Another transaction inserted a run with this key and has not committed yet.'
        end,
        case
            when k.code is not null then k.hint
            when k.existing_id is not null or i.id is not null then null
            when v_room is not null and k.new_rank > v_room then
                'Retry when queued runs have been claimed, or ask a workspace admin to raise max_queued_runs.'
            else 'Retry the call: it then answers with the run of that submit.'
        end,
        coalesce(i.id, k.existing_id)
    from ranked as k
    left join inserted as i on i.id = k.new_id
    order by k.item;
end
$$;

comment on function private.submit_runs(uuid, jsonb, timestamptz, text) is
'The one submit path (submit_run is a batch of one): for well-formed items with distinct idempotency keys, resolves each spec (by hash, or name and optional version, else the latest), fills in the params'' defaults and checks them against the spec''s params schema, applies the workspace''s max_priority and max_queued_runs, and inserts the admitted runs in one statement with their scores. Answers per item: accepted | duplicate (same key, same request) | rejected with code PT404, 23505, 22023, PT429 or 40001 (a concurrent submit holds the key), message, detail and hint.';

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

comment on function public.refresh_scores(text, integer, timestamptz) is
'The score refresh tick of one pool: decays the pool''s fair-share usage and charges it the attempt time since the last tick, refreshes the median durations of pipelines that succeeded since, and rescores up to max_runs (1..100000) queued runs in id order after the last tick''s cursor (skipping runs a claim holds). Returns {pool, skipped, usage_rows_charged, durations_estimated, rescored, more}. Service role and pg_cron only; a concurrent tick of the same pool skips.';
