-- Why: multi-signal scoring (docs/architecture.md, "Scheduling"), after Slurm's multifactor priority:
-- a queued run's score is the sum of weight x factor over six factors, each normalised to [0, 1].
-- The weights are per pool (a pool is shared by workspaces, so the platform's service role sets
-- them); the fair-share usage per pool and workspace, and each pipeline's recent median duration,
-- are kept by the refresh tick (public.refresh_scores) so that scoring a run is a few key lookups.

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
