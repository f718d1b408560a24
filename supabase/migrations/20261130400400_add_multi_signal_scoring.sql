-- Why: multi-signal scoring, after Slurm's multifactor priority (issue 13): runs.score, the claim
-- order, becomes the sum of weight x factor over priority, age, deadline urgency (runs.due_by, a new
-- optional submit_run parameter), fair share, retry and expected duration, each normalised to [0, 1],
-- with weights per pool (score_weights). It is stored at submit, on requeue (transition_runs) and by
-- a bounded pg_cron tick (refresh_scores), which also keeps the fair-share usage and the pipelines'
-- median durations; explain_score shows every factor. submit_run gains due_by (default null): the
-- old signature is dropped and the new one created in this transaction, so calls by name still resolve.

set lock_timeout = '5s';
set statement_timeout = '60s';

alter table public.runs add column due_by timestamptz;

comment on column public.runs.score is 'Claim order, higher first: the multi-signal score (private.run_score; explain_score shows its factors), stored at submit, on requeue and by the refresh tick (public.refresh_scores).';
comment on column public.runs.due_by is 'Optional deadline given at submit: the deadline factor of the score rises as it nears (definition).';

create table public.score_weights (
    pool text not null,
    priority_weight double precision not null default 1000,
    age_weight double precision not null default 500,
    deadline_weight double precision not null default 1000,
    fair_share_weight double precision not null default 1000,
    retry_weight double precision not null default 0,
    duration_weight double precision not null default 100,
    age_max_seconds double precision not null default 3600,
    deadline_horizon_seconds double precision not null default 3600,
    fair_share_half_life_seconds double precision not null default 86400,
    duration_max_seconds double precision not null default 3600,
    updated_at timestamptz not null default pg_catalog.now(),
    updated_by text not null,
    constraint score_weights_pkey primary key (pool),
    constraint score_weights_pool_format check (pool ~ '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$'),
    constraint score_weights_weights_bounded check (
        greatest(
            abs(priority_weight), abs(age_weight), abs(deadline_weight), abs(fair_share_weight),
            abs(retry_weight), abs(duration_weight)
        ) <= 1000000
    ),
    constraint score_weights_scales_positive check (
        least(age_max_seconds, deadline_horizon_seconds, fair_share_half_life_seconds, duration_max_seconds) > 0
    ),
    constraint score_weights_updated_by_format check (updated_by ~ '^(user:[0-9a-f-]{36}|service_role)$')
);

comment on table public.score_weights is
'Scoring weights of a pool (docs/architecture.md, "Scheduling"); a pool without a row uses the column defaults. Set by the service role through set_score_weights.';
comment on column public.score_weights.pool is 'The pool.';
comment on column public.score_weights.priority_weight is 'Weight of the submitted priority, normalised (priority + 1000) / 2000 (default 1000).';
comment on column public.score_weights.age_weight is 'Weight of the time waited since queued or requeued, over age_max_seconds, capped at 1 (default 500).';
comment on column public.score_weights.deadline_weight is 'Weight of deadline urgency: 0 without due_by, rising to 1 at due_by over deadline_horizon_seconds (default 1000).';
comment on column public.score_weights.fair_share_weight is 'Weight of fair share 2^(-usage/share) of the workspace in the pool (default 1000).';
comment on column public.score_weights.retry_weight is 'Weight of a retried run (factor 1 after a first attempt): positive boosts, negative penalises (default 0).';
comment on column public.score_weights.duration_weight is 'Weight of shortness: 1 - median duration / duration_max_seconds, 0.5 when unknown (default 100).';
comment on column public.score_weights.age_max_seconds is 'Age at which the age factor saturates at 1 (default 3600).';
comment on column public.score_weights.deadline_horizon_seconds is 'How long before due_by urgency starts rising (default 3600).';
comment on column public.score_weights.fair_share_half_life_seconds is 'Half-life of the fair-share usage (default 86400).';
comment on column public.score_weights.duration_max_seconds is 'Median duration at which the shortness factor reaches 0 (default 3600).';
comment on column public.score_weights.updated_at is 'Last change.';
comment on column public.score_weights.updated_by is 'Actor of the last change.';

create table public.fair_share_usage (
    pool text not null,
    workspace_id uuid not null,
    usage_seconds double precision not null,
    decayed_at timestamptz not null,
    constraint fair_share_usage_pkey primary key (pool, workspace_id),
    constraint fair_share_usage_not_negative check (usage_seconds >= 0),
    constraint fair_share_usage_workspace_id_fkey foreign key (workspace_id)
    references public.workspaces (id) on delete cascade
);

create index fair_share_usage_workspace_id_idx on public.fair_share_usage (workspace_id);

comment on table public.fair_share_usage is
'Run-seconds each workspace used in each pool, decayed with the pool''s fair_share_half_life_seconds; kept by public.refresh_scores.';
comment on column public.fair_share_usage.pool is 'The pool.';
comment on column public.fair_share_usage.workspace_id is 'The workspace.';
comment on column public.fair_share_usage.usage_seconds is 'Decayed run-seconds as of decayed_at.';
comment on column public.fair_share_usage.decayed_at is 'When usage_seconds was last decayed and charged.';

create table public.spec_duration_estimates (
    workspace_id uuid not null,
    spec_name text not null,
    median_seconds double precision not null,
    samples integer not null,
    updated_at timestamptz not null,
    constraint spec_duration_estimates_pkey primary key (workspace_id, spec_name),
    constraint spec_duration_estimates_median_not_negative check (median_seconds >= 0),
    constraint spec_duration_estimates_samples_positive check (samples between 1 and 20),
    constraint spec_duration_estimates_workspace_id_fkey foreign key (workspace_id)
    references public.workspaces (id) on delete cascade
);

comment on table public.spec_duration_estimates is
'Median duration of each pipeline''s last (up to 20) succeeded attempts, for the expected-duration factor; kept by public.refresh_scores.';
comment on column public.spec_duration_estimates.workspace_id is 'The workspace.';
comment on column public.spec_duration_estimates.spec_name is 'The pipeline (every version).';
comment on column public.spec_duration_estimates.median_seconds is 'Median of started_at..finished_at of the samples.';
comment on column public.spec_duration_estimates.samples is 'How many attempts the median is of (1..20).';
comment on column public.spec_duration_estimates.updated_at is 'When it was computed.';

create table public.score_refresh_state (
    pool text not null,
    charged_through timestamptz not null,
    cursor_run_id uuid,
    refreshed_at timestamptz not null,
    constraint score_refresh_state_pkey primary key (pool),
    constraint score_refresh_state_pool_format check (pool ~ '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$')
);

comment on table public.score_refresh_state is
'The refresh tick''s bookmark per pool: attempt time up to charged_through is in fair_share_usage; queued runs are rescored in id order after cursor_run_id.';
comment on column public.score_refresh_state.pool is 'The pool.';
comment on column public.score_refresh_state.charged_through is 'Attempt time of the pool up to here is in fair_share_usage.';
comment on column public.score_refresh_state.cursor_run_id is 'The last run rescored; null: start from the first.';
comment on column public.score_refresh_state.refreshed_at is 'The as_of of the last tick.';

-- RLS on every table: members read their workspaces' usage and estimates; weights and the tick's
-- bookmark belong to the platform (service role). Nobody writes but the RPCs.
alter table public.score_weights enable row level security;
alter table public.fair_share_usage enable row level security;
alter table public.spec_duration_estimates enable row level security;
alter table public.score_refresh_state enable row level security;

revoke all on table public.score_weights from public, anon, authenticated, service_role, controlroom_executor;
revoke all on table public.fair_share_usage from public, anon, authenticated, service_role, controlroom_executor;
revoke all on table public.spec_duration_estimates from public, anon, authenticated, service_role, controlroom_executor;
revoke all on table public.score_refresh_state from public, anon, authenticated, service_role, controlroom_executor;
grant select on table public.score_weights to service_role;
grant select on table public.fair_share_usage to authenticated, service_role;
grant select on table public.spec_duration_estimates to authenticated, service_role;
grant select on table public.score_refresh_state to service_role;

create policy fair_share_usage_select_members on public.fair_share_usage
for select to authenticated
using (workspace_id in (select private.member_workspace_ids((select auth.uid()), 'viewer')));
create policy spec_duration_estimates_select_members on public.spec_duration_estimates
for select to authenticated
using (workspace_id in (select private.member_workspace_ids((select auth.uid()), 'viewer')));

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

create or replace function private.transition_runs(changes private.run_change [], as_of timestamptz)
returns setof public.runs
language plpgsql
set search_path = ''
-- The runs are found by id (= any(array)); a plan cached while the table was nearly empty must
-- not keep a sequential scan as it grows (see 20261126070100).
set enable_seqscan = off
as $$
declare
    v_ids uuid[] := array(select c.run_id from pg_catalog.unnest(transition_runs.changes) as c);
begin
    -- The runs_after_update trigger checks every edge against private.run_status_edge_allowed and
    -- writes the audit rows, once per statement; entering claimed starts a new attempt.
    return query
    update public.runs as r
    set status = c.to_status,
        attempt_count = r.attempt_count + (c.to_status = 'claimed')::integer,
        first_claimed_at = case
            when c.to_status = 'claimed' then coalesce(r.first_claimed_at, transition_runs.as_of)
            else r.first_claimed_at
        end,
        deadline_at = coalesce(r.deadline_at, c.deadline_at),
        not_before = coalesce(c.not_before, r.not_before),
        -- A requeued run is scored again: its age restarts and its retry factor counts.
        score = case
            when c.to_status = 'queued' then private.run_score(
                r.workspace_id, r.pool, r.spec_id, r.priority, transition_runs.as_of, r.due_by, r.attempt_count,
                transition_runs.as_of
            )
            else r.score
        end,
        finished_at = case when c.to_status = any(private.terminal_run_statuses()) then transition_runs.as_of end,
        status_changed_at = transition_runs.as_of,
        status_changed_by = c.actor,
        status_reason = c.reason,
        updated_at = transition_runs.as_of
    from pg_catalog.unnest(transition_runs.changes) as c
    where r.id = any(v_ids) and r.id = c.run_id
    returning r.*;
end
$$;

comment on function private.transition_runs(private.run_change [], timestamptz) is
'The one way a run''s status changes: moves each run of changes to its to_status in one statement (the trigger checks the edge and audits it) and returns the changed runs. Claimed starts a new attempt (attempt_count + 1, first_claimed_at, deadline_at); a terminal status sets finished_at; queued again rescores the run (private.run_score).';

drop function public.submit_run(uuid, text, text, text, jsonb, integer, text, timestamptz);

create function public.submit_run(
    workspace_id uuid,
    spec_name text default null,
    spec_version text default null,
    spec_hash text default null,
    params jsonb default '{}'::jsonb,
    priority integer default 0,
    idempotency_key text default null,
    as_of timestamptz default null,
    due_by timestamptz default null
)
returns public.runs
language plpgsql
security definer
set search_path = ''
as $$
#variable_conflict use_column
declare
    v_as_of timestamptz := private.clock(submit_run.as_of);
    v_actor text := private.caller_actor();
    v_spec public.pipeline_specs;
    v_run public.runs;
begin
    if v_actor is null then
        raise exception 'only workspace operators and the service role submit runs'
        using errcode = '42501',
        detail = pg_catalog.format('The caller''s role is %s.', private.caller_role()),
        hint = 'Sign in as a workspace operator.';
    end if;
    if private.caller_role() = 'authenticated'
        and not private.is_member(submit_run.workspace_id, 'operator') then
        raise exception 'only operators, admins and owners of the workspace submit runs'
        using errcode = '42501',
        detail = 'The caller is not a member of this workspace, or only a viewer.',
        hint = 'Ask a workspace admin for the operator role.';
    end if;

    if (submit_run.spec_name is null) = (submit_run.spec_hash is null) then
        raise exception 'name the spec either by spec_name (and optional spec_version) or by spec_hash'
        using errcode = '22023',
        detail = 'Exactly one of spec_name and spec_hash must be given.',
        hint = 'Pass spec_name (latest version) or spec_name and spec_version, or spec_hash.';
    end if;
    if submit_run.spec_hash is not null and submit_run.spec_version is not null then
        raise exception 'spec_version cannot be combined with spec_hash'
        using errcode = '22023',
        detail = 'A hash names one version already.',
        hint = 'Pass spec_hash alone.';
    end if;
    if pg_catalog.jsonb_typeof(submit_run.params) is distinct from 'object' then
        raise exception 'params must be a JSON object'
        using errcode = '22023',
        detail = pg_catalog.format('Got %s.', coalesce(pg_catalog.jsonb_typeof(submit_run.params), 'null')),
        hint = 'Pass {} for no parameters.';
    end if;
    -- GUARD: params travel to the executor in every claim reply; see docs/caps.md, "Input bounds".
    perform private.assert_json_within(
        'params', submit_run.params, 65536, 32,
        'Pass large or deeply structured inputs by reference: store them in the data plane and put their uri in params.'
    );
    if submit_run.priority is null or submit_run.priority not between -1000 and 1000 then
        raise exception 'priority must be between -1000 and 1000'
        using errcode = '22023',
        detail = pg_catalog.format('Got %s.', coalesce(submit_run.priority::text, 'null')),
        hint = 'Higher runs first; 0 is the default.';
    end if;
    if pg_catalog.char_length(submit_run.idempotency_key) not between 1 and 200 then
        raise exception 'idempotency_key must have 1 to 200 characters'
        using errcode = '22023',
        detail = 'Use a UUID or another client-generated unique string.',
        hint = 'Omit it to submit without idempotency.';
    end if;

    select s.* into v_spec
    from public.pipeline_specs as s
    where s.workspace_id = submit_run.workspace_id
      and (
          (submit_run.spec_hash is not null and s.spec_hash = submit_run.spec_hash)
          or (submit_run.spec_name is not null and s.name = submit_run.spec_name
              and (submit_run.spec_version is null or s.version = submit_run.spec_version))
      )
    -- "Latest": the highest integer version; non-integer versions by publish time.
    order by
        case when s.version ~ '^[0-9]{1,18}$' then s.version::bigint end desc nulls last,
        s.published_at desc,
        s.id desc
    limit 1;
    if not found then
        raise exception 'spec % is not published in workspace %',
            coalesce(submit_run.spec_hash, submit_run.spec_name || coalesce('@' || submit_run.spec_version, '')),
            submit_run.workspace_id
        using errcode = 'PT404',
        detail = 'No published spec version matches.',
        hint = 'Publish the spec with publish_spec first, or check the name, version or hash.';
    end if;

    -- Orchestration caps (docs/caps.md): the workspace's highest priority and queue admission. A
    -- retried submit of a run already queued under its key is answered below, not refused.
    if submit_run.idempotency_key is null or not exists (
        select from public.runs as r
        where r.workspace_id = submit_run.workspace_id and r.idempotency_key = submit_run.idempotency_key
    ) then
        perform private.assert_run_admitted(submit_run.workspace_id, submit_run.priority);
    end if;

    insert into public.runs as r (
        workspace_id, spec_id, params, priority, idempotency_key, pool, required_labels,
        submitted_by, created_at, score, not_before, status_changed_at, status_changed_by,
        status_reason, updated_at, due_by
    )
    values (
        submit_run.workspace_id, v_spec.id, submit_run.params, submit_run.priority,
        submit_run.idempotency_key, v_spec.pool, v_spec.required_labels, (select auth.uid()),
        v_as_of,
        private.run_score(
            submit_run.workspace_id, v_spec.pool, v_spec.id, submit_run.priority, v_as_of, submit_run.due_by, 0, v_as_of
        ),
        v_as_of, v_as_of, v_actor, 'submitted', v_as_of, submit_run.due_by
    )
    on conflict (workspace_id, idempotency_key) where idempotency_key is not null do nothing
    returning r.* into v_run;
    if found then
        return v_run;
    end if;

    -- The key was used before: the same request returns the same run; another one is a conflict.
    select r.* into v_run
    from public.runs as r
    where r.workspace_id = submit_run.workspace_id
      and r.idempotency_key = submit_run.idempotency_key;
    if (v_run.spec_id, v_run.params, v_run.priority, v_run.due_by)
        is distinct from (v_spec.id, submit_run.params, submit_run.priority, submit_run.due_by) then
        raise exception 'idempotency key % was used for a different request', submit_run.idempotency_key
        using errcode = '23505',
        detail = pg_catalog.format('Run %s was submitted with this key for another spec, params, priority or due_by.', v_run.id),
        hint = 'Use a new idempotency key for a new request.';
    end if;
    return v_run;
end
$$;

comment on function public.submit_run(uuid, text, text, text, jsonb, integer, text, timestamptz, timestamptz) is
'Queues a run of a published spec (by name and optional version — the highest integer version if omitted — or by hash). params: a JSON object of at most 64 KiB (PT413) and 32 levels (22023). The same idempotency_key returns the same run; reusing it for a different request is a conflict (23505). due_by (optional) feeds the deadline factor of the score, stored at submit (private.run_score). Workspace limits: priority above max_priority is refused (22023), a full queue (max_queued_runs) with PT429.';

revoke execute on function public.submit_run(uuid, text, text, text, jsonb, integer, text, timestamptz, timestamptz)
from public, anon, authenticated;
grant execute on function public.submit_run(uuid, text, text, text, jsonb, integer, text, timestamptz, timestamptz)
to authenticated, service_role;

create function public.set_score_weights(pool text, weights jsonb, as_of timestamptz default null)
returns public.score_weights
language plpgsql
security definer
set search_path = ''
as $$
#variable_conflict use_column
declare
    v_as_of timestamptz := private.clock(set_score_weights.as_of);
    v_unknown text;
    v_row public.score_weights;
begin
    if not private.caller_is_service_or_owner() then
        raise exception 'only the service role sets scoring weights'
        using errcode = '42501',
        detail = pg_catalog.format('The caller''s role is %s.', private.caller_role()),
        hint = 'Pools are shared by workspaces: ask the platform operators.';
    end if;
    if pg_catalog.jsonb_typeof(set_score_weights.weights) is distinct from 'object' then
        raise exception 'weights must be a JSON object'
        using errcode = '22023',
        detail = pg_catalog.format('Got %s.', coalesce(pg_catalog.jsonb_typeof(set_score_weights.weights), 'null')),
        hint = 'Pass {"fair_share_weight": 2000, ...}; keys left out keep their value.';
    end if;
    select k into v_unknown
    from pg_catalog.jsonb_object_keys(set_score_weights.weights) as k
    where k not in (
        'priority_weight', 'age_weight', 'deadline_weight', 'fair_share_weight', 'retry_weight', 'duration_weight',
        'age_max_seconds', 'deadline_horizon_seconds', 'fair_share_half_life_seconds', 'duration_max_seconds'
    )
       or pg_catalog.jsonb_typeof(set_score_weights.weights -> k) <> 'number'
    order by k
    limit 1;
    if v_unknown is not null then
        raise exception 'unknown or non-numeric weight %', v_unknown
        using errcode = '22023',
        detail = 'Weights are the numeric columns of public.score_weights (docs/architecture.md, "Scheduling").',
        hint = 'Check the name; every value is a number.';
    end if;

    v_row := pg_catalog.jsonb_populate_record(private.pool_score_weights(set_score_weights.pool), set_score_weights.weights);
    insert into public.score_weights as w (
        pool, priority_weight, age_weight, deadline_weight, fair_share_weight, retry_weight, duration_weight,
        age_max_seconds, deadline_horizon_seconds, fair_share_half_life_seconds, duration_max_seconds,
        updated_at, updated_by
    )
    values (
        set_score_weights.pool, v_row.priority_weight, v_row.age_weight, v_row.deadline_weight,
        v_row.fair_share_weight, v_row.retry_weight, v_row.duration_weight, v_row.age_max_seconds,
        v_row.deadline_horizon_seconds, v_row.fair_share_half_life_seconds, v_row.duration_max_seconds,
        v_as_of, 'service_role'
    )
    on conflict (pool) do update
    set priority_weight = excluded.priority_weight,
        age_weight = excluded.age_weight,
        deadline_weight = excluded.deadline_weight,
        fair_share_weight = excluded.fair_share_weight,
        retry_weight = excluded.retry_weight,
        duration_weight = excluded.duration_weight,
        age_max_seconds = excluded.age_max_seconds,
        deadline_horizon_seconds = excluded.deadline_horizon_seconds,
        fair_share_half_life_seconds = excluded.fair_share_half_life_seconds,
        duration_max_seconds = excluded.duration_max_seconds,
        updated_at = excluded.updated_at,
        updated_by = excluded.updated_by
    returning w.* into v_row;
    return v_row;
end
$$;

comment on function public.set_score_weights(text, jsonb, timestamptz) is
'Sets a pool''s scoring weights (service role only): weights is a JSON object of score_weights'' numeric columns; keys left out keep their value (or the default). Stored scores follow at the next refresh tick. Out-of-range values fail the table''s CHECKs (23514).';

revoke execute on function public.set_score_weights(text, jsonb, timestamptz) from public, anon, authenticated;
grant execute on function public.set_score_weights(text, jsonb, timestamptz) to service_role;

create function public.refresh_scores(
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
        update public.runs as r
        set score = private.run_score(
            r.workspace_id, r.pool, r.spec_id, r.priority, r.status_changed_at, r.due_by, r.attempt_count, v_as_of
        )
        where r.id = any(v_ids);
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

revoke execute on function public.refresh_scores(text, integer, timestamptz) from public, anon, authenticated;
grant execute on function public.refresh_scores(text, integer, timestamptz) to service_role;

select cron.unschedule(j.jobid)
from cron.job as j
where j.jobname = 'controlroom_refresh_scores';

select cron.schedule(
    'controlroom_refresh_scores',
    '* * * * *',
    $job$do $tick$
declare
    v_pool text;
begin
    for v_pool in
        select x.pool from public.executors as x
        union
        select u.pool from public.fair_share_usage as u
    loop
        perform public.refresh_scores(v_pool, 10000, pg_catalog.now());
        commit;
    end loop;
end
$tick$$job$
);

create function public.explain_score(run_id uuid, as_of timestamptz default null)
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
    return query
    select f.factor, f.raw, f.normalised, f.weight, f.contribution
    from private.score_factors(
        v_run.workspace_id, v_run.pool, v_run.spec_id, v_run.priority,
        case when v_run.status = 'queued' then v_run.status_changed_at else v_as_of end,
        v_run.due_by, v_run.attempt_count, v_as_of
    ) as f;
    -- The sum at as_of, and the score stored for the claim order (as of the last refresh).
    return query
    select 'total', null::double precision, null::double precision, null::double precision,
        private.run_score(
            v_run.workspace_id, v_run.pool, v_run.spec_id, v_run.priority,
            case when v_run.status = 'queued' then v_run.status_changed_at else v_as_of end,
            v_run.due_by, v_run.attempt_count, v_as_of
        );
    return query
    select 'stored', null::double precision, null::double precision, null::double precision, v_run.score;
end
$$;

comment on function public.explain_score(uuid, timestamptz) is
'Every factor of a run''s score at as_of (priority, age, deadline, fair_share, retry, duration): raw value, value normalised to [0, 1], the pool''s weight and the contribution; then total (their sum) and stored (runs.score, the claim order as of the last refresh). Members (viewer and up) and the service role; others get PT404.';

revoke execute on function public.explain_score(uuid, timestamptz) from public, anon, authenticated;
grant execute on function public.explain_score(uuid, timestamptz) to authenticated, service_role;
