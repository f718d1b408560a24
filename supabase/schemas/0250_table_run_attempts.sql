-- Why: one row per claim. Its lease token fences every executor write: once the attempt is closed,
-- the token is dead (0310_trigger_run_attempts.sql keeps closed attempts final).

create table public.run_attempts (
    id uuid not null default pg_catalog.gen_random_uuid(),
    run_id uuid not null,
    workspace_id uuid not null,
    attempt_no integer not null,
    executor_id uuid not null,
    lease_token uuid not null default pg_catalog.gen_random_uuid(),
    status text not null default 'claimed',
    claimed_at timestamptz not null,
    started_at timestamptz,
    heartbeat_at timestamptz not null,
    heartbeat_tolerance interval not null,
    lease_expires_at timestamptz not null,
    finished_at timestamptz,
    error_class text,
    error_message text,
    retryable boolean,
    retry_delay interval,
    retry_jitter interval,
    result jsonb,
    constraint run_attempts_pkey primary key (id),
    constraint run_attempts_lease_token_key unique (lease_token),
    constraint run_attempts_run_id_attempt_no_key unique (run_id, attempt_no),
    constraint run_attempts_attempt_no_positive check (attempt_no >= 1),
    constraint run_attempts_status_valid check (
        status in ('claimed', 'running', 'succeeded', 'failed', 'cancelled', 'lost', 'timed_out')
    ),
    constraint run_attempts_finished_iff_closed check (
        (finished_at is null) = (status in ('claimed', 'running'))
    ),
    constraint run_attempts_started_when_running check (status <> 'running' or started_at is not null),
    constraint run_attempts_lease_expiry_follows_heartbeat check (
        lease_expires_at = heartbeat_at + heartbeat_tolerance
    ),
    constraint run_attempts_error_class_when_failed check (status <> 'failed' or error_class is not null),
    constraint run_attempts_error_class_length check (pg_catalog.char_length(error_class) between 1 and 200),
    constraint run_attempts_error_message_length check (pg_catalog.char_length(error_message) <= 10000),
    constraint run_attempts_jitter_only_with_delay check (
        retry_jitter is null or (retry_delay is not null and retry_jitter >= interval '0')
    ),
    constraint run_attempts_result_is_object check (pg_catalog.jsonb_typeof(result) = 'object'),
    constraint run_attempts_run_id_fkey foreign key (run_id)
    references public.runs (id) on delete cascade,
    constraint run_attempts_executor_id_fkey foreign key (executor_id)
    references public.executors (id)
);

-- At most one live attempt per run: the fencing invariant behind lease tokens.
create unique index run_attempts_one_live_per_run_key on public.run_attempts (run_id)
where finished_at is null;
create index run_attempts_live_lease_expires_at_idx on public.run_attempts (lease_expires_at)
where finished_at is null;
create index run_attempts_executor_id_idx on public.run_attempts (executor_id);
-- An executor's live leases (waking the least busy executors of a pool, 0325).
create index run_attempts_live_executor_id_idx on public.run_attempts (executor_id)
where finished_at is null;
create index run_attempts_workspace_id_idx on public.run_attempts (workspace_id);
-- The daily budget reads the attempts of a workspace that are live or finished today (0515).
create index run_attempts_workspace_id_finished_at_idx on public.run_attempts (workspace_id, finished_at);

comment on table public.run_attempts is
'One row per claim of a run. The lease token fences every executor write: once the attempt is closed, its token is dead.';
comment on column public.run_attempts.id is 'Attempt id.';
comment on column public.run_attempts.run_id is 'The run.';
comment on column public.run_attempts.workspace_id is 'The run''s workspace (copied at claim, for RLS).';
comment on column public.run_attempts.attempt_no is '1, 2, …: contiguous per run.';
comment on column public.run_attempts.executor_id is 'Executor that claimed it.';
comment on column public.run_attempts.lease_token is 'Secret fencing token; every executor write for this attempt must carry it.';
comment on column public.run_attempts.status is 'claimed | running (live) | succeeded | failed | cancelled | lost | timed_out (closed).';
comment on column public.run_attempts.claimed_at is 'Claim time.';
comment on column public.run_attempts.started_at is 'start_run time.';
comment on column public.run_attempts.heartbeat_at is 'Latest heartbeat (claim time until the first one).';
comment on column public.run_attempts.heartbeat_tolerance is 'Heartbeat tolerance of the spec, copied at claim.';
comment on column public.run_attempts.lease_expires_at is 'heartbeat_at + heartbeat_tolerance; past it requeue_stale_runs closes the attempt as lost.';
comment on column public.run_attempts.finished_at is 'Set exactly when the attempt is closed.';
comment on column public.run_attempts.error_class is 'Failure class reported by the executor (or lease_lost, max_run_duration).';
comment on column public.run_attempts.error_message is 'Failure message.';
comment on column public.run_attempts.retryable is 'Whether the executor reported the failure as retryable.';
comment on column public.run_attempts.retry_delay is 'Backoff chosen after this attempt: min(backoff_max, backoff_base * 2^(attempt_no-1)).';
comment on column public.run_attempts.retry_jitter is 'Random extra delay added to retry_delay, in [0, spec backoff_jitter].';
comment on column public.run_attempts.result is 'Result summary reported by complete_run (JSON object).';

-- RLS on every table: members read their workspaces' rows; nobody writes but the RPCs.
alter table public.run_attempts enable row level security;

revoke all on table public.run_attempts from public, anon, authenticated, service_role, controlroom_executor;
grant select on table public.run_attempts to authenticated, service_role;

create policy run_attempts_select_members on public.run_attempts
for select to authenticated
using (workspace_id in (select private.member_workspace_ids((select auth.uid()), 'viewer')));
