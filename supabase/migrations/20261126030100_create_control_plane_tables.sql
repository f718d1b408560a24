-- Why: the control plane's state lives in these tables: who may do what (workspaces, members),
-- what to run (immutable, content-addressed pipeline specs), what was asked and what happened
-- (runs, attempts, the append-only transition audit and event stream) and who does the work
-- (executors). Every invariant is a named constraint so a violation names itself. Nothing but
-- the RPC functions writes these tables: API roles get SELECT (filtered by RLS) and nothing else.

-- Canonical JSON: keys sorted by code point, no insignificant whitespace, arrays in order,
-- scalars as PostgreSQL prints them (integers and strings are therefore exact; a spec that
-- needs a stable hash should not rely on float formatting). This is what spec_hash digests.
create function private.canonical_json(value jsonb)
returns text
language plpgsql
immutable
strict
parallel safe
set search_path = ''
as $$
begin
    case pg_catalog.jsonb_typeof(canonical_json.value)
        when 'object' then
            return (
                select '{' || coalesce(
                    pg_catalog.string_agg(
                        pg_catalog.to_jsonb(e.key)::text || ':' || private.canonical_json(e.value),
                        ',' order by e.key collate "C"
                    ),
                    ''
                ) || '}'
                from pg_catalog.jsonb_each(canonical_json.value) as e
            );
        when 'array' then
            return (
                select '[' || coalesce(
                    pg_catalog.string_agg(
                        private.canonical_json(e.value), ',' order by e.ordinality
                    ),
                    ''
                ) || ']'
                from pg_catalog.jsonb_array_elements(canonical_json.value)
                    with ordinality as e (value, ordinality)
            );
        else
            return canonical_json.value::text;
    end case;
end
$$;

comment on function private.canonical_json(jsonb) is
'Canonical JSON text of a jsonb value: object keys sorted by code point, no whitespace, arrays in order. Deterministic (declared immutable: the server encoding is UTF8).';

create function private.spec_hash(body jsonb)
returns text
language sql
immutable
strict
parallel safe
set search_path = ''
as $$
    select pg_catalog.encode(
        pg_catalog.sha256(pg_catalog.convert_to(private.canonical_json(spec_hash.body), 'UTF8')),
        'hex'
    )
$$;

comment on function private.spec_hash(jsonb) is
'SHA-256 (lower-case hex) of the canonical JSON of a pipeline spec body: the spec''s identity.';

create function private.seconds_setting(
    value jsonb, fallback interval
)
returns interval
language sql
immutable
parallel safe
set search_path = ''
as $$
    select case
        when pg_catalog.jsonb_typeof(seconds_setting.value) = 'number'
            then pg_catalog.make_interval(secs => (seconds_setting.value)::text::double precision)
        else seconds_setting.fallback
    end
$$;

comment on function private.seconds_setting(jsonb, interval) is
'A duration given in seconds in a spec body, or the fallback when the key is absent or not a number.';

-- workspaces -------------------------------------------------------------------------------

create table public.workspaces (
    id uuid not null default pg_catalog.gen_random_uuid(),
    slug text not null,
    name text not null,
    created_by uuid,
    created_at timestamptz not null default pg_catalog.now(),
    constraint workspaces_pkey primary key (id),
    constraint workspaces_slug_key unique (slug),
    constraint workspaces_slug_format check (slug ~ '^[a-z0-9][a-z0-9-]{1,62}$'),
    constraint workspaces_name_length check (pg_catalog.char_length(name) between 1 and 200),
    constraint workspaces_created_by_fkey foreign key (created_by)
    references auth.users (id) on delete set null
);

create index workspaces_created_by_idx on public.workspaces (created_by);

comment on table public.workspaces is
'A tenant: specs, runs, events and executors belong to exactly one workspace; members see only theirs.';
comment on column public.workspaces.id is 'Workspace id.';
comment on column public.workspaces.slug is 'URL-safe unique handle (lower-case letters, digits, dashes).';
comment on column public.workspaces.name is 'Display name.';
comment on column public.workspaces.created_by is 'The user who created the workspace (null when created by the service role).';
comment on column public.workspaces.created_at is 'When the workspace was created.';

-- workspace_members ------------------------------------------------------------------------

create table public.workspace_members (
    workspace_id uuid not null,
    user_id uuid not null,
    role text not null,
    created_at timestamptz not null default pg_catalog.now(),
    constraint workspace_members_pkey primary key (workspace_id, user_id),
    constraint workspace_members_role_valid check (role in ('owner', 'admin', 'operator', 'viewer')),
    constraint workspace_members_workspace_id_fkey foreign key (workspace_id)
    references public.workspaces (id) on delete cascade,
    constraint workspace_members_user_id_fkey foreign key (user_id)
    references auth.users (id) on delete cascade
);

create index workspace_members_user_id_idx on public.workspace_members (user_id, workspace_id, role);

comment on table public.workspace_members is
'Who belongs to a workspace and with which role: owner > admin > operator (submit, cancel) > viewer (read).';
comment on column public.workspace_members.workspace_id is 'The workspace.';
comment on column public.workspace_members.user_id is 'The member (auth.users.id).';
comment on column public.workspace_members.role is 'owner | admin | operator | viewer; each includes the rights of the ones after it.';
comment on column public.workspace_members.created_at is 'When the membership was granted.';

-- pipeline_specs ---------------------------------------------------------------------------

create table public.pipeline_specs (
    id uuid not null default pg_catalog.gen_random_uuid(),
    workspace_id uuid not null,
    name text not null,
    version text not null,
    body jsonb not null,
    spec_hash text generated always as (private.spec_hash(body)) stored,
    pool text generated always as (coalesce(body ->> 'pool', 'default')) stored,
    required_labels jsonb generated always as (coalesce(body -> 'labels', '{}'::jsonb)) stored,
    max_attempts integer generated always as (
        coalesce((body -> 'retries' ->> 'max_attempts')::integer, 3)
    ) stored,
    backoff_base interval generated always as (
        private.seconds_setting(body -> 'retries' -> 'base_seconds', interval '10 seconds')
    ) stored,
    backoff_max interval generated always as (
        private.seconds_setting(body -> 'retries' -> 'max_backoff_seconds', interval '1 hour')
    ) stored,
    backoff_jitter interval generated always as (
        private.seconds_setting(body -> 'retries' -> 'jitter_seconds', interval '0')
    ) stored,
    heartbeat_tolerance interval generated always as (
        private.seconds_setting(body -> 'heartbeat_tolerance_seconds', interval '15 minutes')
    ) stored,
    max_run_duration interval generated always as (
        private.seconds_setting(body -> 'caps' -> 'max_duration_seconds', null)
    ) stored,
    published_by uuid,
    published_at timestamptz not null default pg_catalog.now(),
    constraint pipeline_specs_pkey primary key (id),
    constraint pipeline_specs_id_workspace_id_key unique (id, workspace_id),
    constraint pipeline_specs_workspace_id_name_version_key unique (workspace_id, name, version),
    constraint pipeline_specs_workspace_id_spec_hash_key unique (workspace_id, spec_hash),
    constraint pipeline_specs_name_format check (name ~ '^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$'),
    constraint pipeline_specs_version_format check (version ~ '^[A-Za-z0-9][A-Za-z0-9_.+-]{0,63}$'),
    constraint pipeline_specs_body_is_object check (pg_catalog.jsonb_typeof(body) = 'object'),
    constraint pipeline_specs_pool_format check (pool ~ '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$'),
    constraint pipeline_specs_required_labels_is_object check (
        pg_catalog.jsonb_typeof(required_labels) = 'object'
    ),
    constraint pipeline_specs_max_attempts_range check (max_attempts between 1 and 100),
    constraint pipeline_specs_backoff_base_not_negative check (backoff_base >= interval '0'),
    constraint pipeline_specs_backoff_max_not_below_base check (backoff_max >= backoff_base),
    constraint pipeline_specs_backoff_jitter_not_negative check (backoff_jitter >= interval '0'),
    constraint pipeline_specs_heartbeat_tolerance_minimum check (
        heartbeat_tolerance >= interval '30 seconds'
    ),
    constraint pipeline_specs_max_run_duration_positive check (
        max_run_duration is null or max_run_duration > interval '0'
    ),
    constraint pipeline_specs_workspace_id_fkey foreign key (workspace_id)
    references public.workspaces (id) on delete cascade,
    constraint pipeline_specs_published_by_fkey foreign key (published_by)
    references auth.users (id) on delete set null
);

create index pipeline_specs_published_by_idx on public.pipeline_specs (published_by);

comment on table public.pipeline_specs is
'Published, immutable versions of pipeline specs. Settings columns are generated from the body, so spec_hash describes behaviour completely.';
comment on column public.pipeline_specs.id is 'Spec version id.';
comment on column public.pipeline_specs.workspace_id is 'Owning workspace.';
comment on column public.pipeline_specs.name is 'Pipeline name; (workspace, name, version) is unique.';
comment on column public.pipeline_specs.version is 'Version label chosen by the publisher (e.g. 3 or 1.2.0).';
comment on column public.pipeline_specs.body is 'The spec document (JSON object).';
comment on column public.pipeline_specs.spec_hash is 'SHA-256 hex of the canonical JSON of body (private.canonical_json); unique per workspace.';
comment on column public.pipeline_specs.pool is 'Executor pool that runs this spec (body.pool, default ''default'').';
comment on column public.pipeline_specs.required_labels is 'Labels an executor must carry to claim runs of this spec (body.labels, default {}).';
comment on column public.pipeline_specs.max_attempts is 'Attempts in all, the first included (body.retries.max_attempts, default 3).';
comment on column public.pipeline_specs.backoff_base is 'Retry delay after attempt 1 (body.retries.base_seconds, default 10 s).';
comment on column public.pipeline_specs.backoff_max is 'Upper bound of the retry delay (body.retries.max_backoff_seconds, default 1 h).';
comment on column public.pipeline_specs.backoff_jitter is 'Upper bound of a random extra retry delay (body.retries.jitter_seconds, default 0).';
comment on column public.pipeline_specs.heartbeat_tolerance is 'Lease lifetime without a heartbeat (body.heartbeat_tolerance_seconds, default 15 min, minimum 30 s).';
comment on column public.pipeline_specs.max_run_duration is 'Maximum time from first claim to finish, then timed_out (body.caps.max_duration_seconds, default none).';
comment on column public.pipeline_specs.published_by is 'The user who published this version (null for the service role).';
comment on column public.pipeline_specs.published_at is 'When this version was published.';

-- executors --------------------------------------------------------------------------------

create table public.executors (
    id uuid not null default pg_catalog.gen_random_uuid(),
    token_sub uuid not null,
    pool text not null,
    workspace_id uuid,
    labels jsonb not null default '{}'::jsonb,
    version text,
    host text,
    status text not null default 'active',
    registered_at timestamptz not null default pg_catalog.now(),
    last_seen_at timestamptz not null default pg_catalog.now(),
    constraint executors_pkey primary key (id),
    constraint executors_status_valid check (status in ('active', 'draining', 'stopped')),
    constraint executors_pool_format check (pool ~ '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$'),
    constraint executors_labels_is_object check (pg_catalog.jsonb_typeof(labels) = 'object'),
    constraint executors_version_length check (pg_catalog.char_length(version) <= 200),
    constraint executors_host_length check (pg_catalog.char_length(host) <= 255),
    constraint executors_workspace_id_fkey foreign key (workspace_id)
    references public.workspaces (id) on delete cascade
);

create index executors_workspace_id_idx on public.executors (workspace_id);

comment on table public.executors is
'Registered executor processes. Shared executors (workspace_id null) serve every workspace of their pool.';
comment on column public.executors.id is 'Executor id, returned by register_executor and passed to claim_runs/heartbeat.';
comment on column public.executors.token_sub is 'The sub claim of the JWT that registered it; only that credential may act as this executor.';
comment on column public.executors.pool is 'Pool it claims from (the pool claim of its JWT).';
comment on column public.executors.workspace_id is 'Workspace it is confined to (the workspace_id claim of its JWT), or null for a shared executor.';
comment on column public.executors.labels is 'Capabilities (string map) matched against pipeline_specs.required_labels.';
comment on column public.executors.version is 'Executor software version, for operators.';
comment on column public.executors.host is 'Host or pod name, for operators.';
comment on column public.executors.status is 'active | draining | stopped.';
comment on column public.executors.registered_at is 'When it registered.';
comment on column public.executors.last_seen_at is 'Last claim or heartbeat.';

-- runs -------------------------------------------------------------------------------------

create table public.runs (
    id uuid not null default pg_catalog.gen_random_uuid(),
    workspace_id uuid not null,
    spec_id uuid not null,
    params jsonb not null default '{}'::jsonb,
    priority integer not null default 0,
    idempotency_key text,
    pool text not null,
    required_labels jsonb not null default '{}'::jsonb,
    submitted_by uuid,
    created_at timestamptz not null default pg_catalog.now(),
    status text not null default 'queued',
    score double precision not null default 0,
    not_before timestamptz not null default pg_catalog.now(),
    attempt_count integer not null default 0,
    first_claimed_at timestamptz,
    deadline_at timestamptz,
    cancel_requested_at timestamptz,
    cancel_requested_by text,
    cancel_reason text,
    finished_at timestamptz,
    status_changed_at timestamptz not null default pg_catalog.now(),
    status_changed_by text not null,
    status_reason text not null,
    updated_at timestamptz not null default pg_catalog.now(),
    constraint runs_pkey primary key (id),
    constraint runs_status_valid check (
        status in ('queued', 'claimed', 'running', 'succeeded', 'failed', 'cancelled', 'timed_out')
    ),
    constraint runs_terminal_iff_finished check (
        (finished_at is not null) = (status in ('succeeded', 'failed', 'cancelled', 'timed_out'))
    ),
    constraint runs_params_is_object check (pg_catalog.jsonb_typeof(params) = 'object'),
    constraint runs_priority_range check (priority between -1000 and 1000),
    constraint runs_idempotency_key_length check (
        pg_catalog.char_length(idempotency_key) between 1 and 200
    ),
    constraint runs_required_labels_is_object check (
        pg_catalog.jsonb_typeof(required_labels) = 'object'
    ),
    constraint runs_attempt_count_not_negative check (attempt_count >= 0),
    constraint runs_active_has_attempt check (
        status not in ('claimed', 'running') or attempt_count >= 1
    ),
    constraint runs_first_claim_iff_attempted check (
        (first_claimed_at is null) = (attempt_count = 0)
    ),
    constraint runs_cancel_request_complete check (
        (cancel_requested_at is null) = (cancel_requested_by is null)
    ),
    constraint runs_status_changed_by_format check (
        status_changed_by ~ '^(user:[0-9a-f-]{36}|executor:[0-9a-f-]{36}|service_role|system:[a-z_]+)$'
    ),
    constraint runs_status_reason_length check (
        pg_catalog.char_length(status_reason) between 1 and 2000
    ),
    constraint runs_cancel_reason_length check (pg_catalog.char_length(cancel_reason) <= 2000),
    constraint runs_workspace_id_fkey foreign key (workspace_id)
    references public.workspaces (id) on delete cascade,
    constraint runs_spec_id_workspace_id_fkey foreign key (spec_id, workspace_id)
    references public.pipeline_specs (id, workspace_id),
    constraint runs_submitted_by_fkey foreign key (submitted_by)
    references auth.users (id) on delete set null
);

-- The claim path: an index scan in claim order over queued runs of one pool.
create index runs_claimable_idx on public.runs (pool, score desc, created_at, id)
where status = 'queued';
create unique index runs_workspace_id_idempotency_key_key on public.runs (workspace_id, idempotency_key)
where idempotency_key is not null;
create index runs_workspace_id_created_at_idx on public.runs (workspace_id, created_at desc);
create index runs_spec_id_workspace_id_idx on public.runs (spec_id, workspace_id);
create index runs_deadline_at_idx on public.runs (deadline_at)
where status in ('claimed', 'running') and deadline_at is not null;
create index runs_submitted_by_idx on public.runs (submitted_by);

comment on table public.runs is
'One execution request of a spec version. Definition columns never change after insert; status and bookkeeping change only through the transition layer, which audits every change in run_transitions.';
comment on column public.runs.id is 'Run id; a retry is a new attempt of the same run.';
comment on column public.runs.workspace_id is 'Owning workspace (definition, immutable).';
comment on column public.runs.spec_id is 'The spec version to run (definition, immutable).';
comment on column public.runs.params is 'Run parameters, a JSON object (definition, immutable).';
comment on column public.runs.priority is 'Requested priority -1000..1000, higher first (definition, immutable).';
comment on column public.runs.idempotency_key is 'Client key: a second submit with the same key in the workspace returns this run (definition, immutable).';
comment on column public.runs.pool is 'Pool copied from the spec at submit, for the claim index (definition, immutable).';
comment on column public.runs.required_labels is 'Executor labels required, copied from the spec at submit (definition, immutable).';
comment on column public.runs.submitted_by is 'Submitting user (null for the service role) (definition, immutable).';
comment on column public.runs.created_at is 'Submit time; claim order within a score (definition, immutable).';
comment on column public.runs.status is 'queued | claimed | running | succeeded | failed | cancelled | timed_out (see docs/architecture.md).';
comment on column public.runs.score is 'Claim order, higher first. Today equal to priority; the seam for multi-signal scoring.';
comment on column public.runs.not_before is 'A queued run is not claimed before this time (retry backoff).';
comment on column public.runs.attempt_count is 'Attempts started so far (= attempt_no of the latest attempt).';
comment on column public.runs.first_claimed_at is 'First claim; max run duration counts from here.';
comment on column public.runs.deadline_at is 'first_claimed_at + spec max_run_duration; past it the run is timed_out.';
comment on column public.runs.cancel_requested_at is 'Set by cancel_run on a claimed/running run; heartbeat then answers cancel.';
comment on column public.runs.cancel_requested_by is 'Actor that requested cancellation.';
comment on column public.runs.cancel_reason is 'Reason given with the cancellation request.';
comment on column public.runs.finished_at is 'Set exactly when the run is terminal (constraint runs_terminal_iff_finished).';
comment on column public.runs.status_changed_at is 'Time of the latest transition.';
comment on column public.runs.status_changed_by is 'Actor of the latest transition: user:<uuid>, executor:<uuid>, service_role or system:<job>.';
comment on column public.runs.status_reason is 'Reason of the latest transition.';
comment on column public.runs.updated_at is 'Last change of any bookkeeping column.';

-- run_attempts -----------------------------------------------------------------------------

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
create index run_attempts_workspace_id_idx on public.run_attempts (workspace_id);

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

-- run_transitions --------------------------------------------------------------------------

create table public.run_transitions (
    id bigint generated always as identity,
    run_id uuid not null,
    workspace_id uuid not null,
    attempt_no integer,
    from_status text,
    to_status text not null,
    actor text not null,
    reason text not null,
    at timestamptz not null,
    constraint run_transitions_pkey primary key (id),
    constraint run_transitions_from_status_valid check (
        from_status in ('queued', 'claimed', 'running', 'succeeded', 'failed', 'cancelled', 'timed_out')
    ),
    constraint run_transitions_to_status_valid check (
        to_status in ('queued', 'claimed', 'running', 'succeeded', 'failed', 'cancelled', 'timed_out')
    ),
    constraint run_transitions_status_changes check (from_status is distinct from to_status),
    constraint run_transitions_actor_format check (
        actor ~ '^(user:[0-9a-f-]{36}|executor:[0-9a-f-]{36}|service_role|system:[a-z_]+)$'
    ),
    constraint run_transitions_run_id_fkey foreign key (run_id)
    references public.runs (id) on delete cascade
);

create index run_transitions_run_id_idx on public.run_transitions (run_id, id);
create index run_transitions_workspace_id_idx on public.run_transitions (workspace_id);

comment on table public.run_transitions is
'Append-only audit of every run status change (written by a trigger on runs). UPDATE and DELETE raise; only private.purge_finished_runs removes rows.';
comment on column public.run_transitions.id is 'Order of the transitions.';
comment on column public.run_transitions.run_id is 'The run.';
comment on column public.run_transitions.workspace_id is 'The run''s workspace (for RLS).';
comment on column public.run_transitions.attempt_no is 'The run''s attempt_count after the change (0 before the first claim).';
comment on column public.run_transitions.from_status is 'Status before (null for the submission).';
comment on column public.run_transitions.to_status is 'Status after.';
comment on column public.run_transitions.actor is 'user:<uuid> | executor:<uuid> | service_role | system:<job>.';
comment on column public.run_transitions.reason is 'Why the status changed.';
comment on column public.run_transitions.at is 'When (the as_of of the call that made the change).';

-- run_events -------------------------------------------------------------------------------

create table public.run_events (
    id bigint generated always as identity,
    run_id uuid not null,
    attempt_id uuid,
    workspace_id uuid not null,
    seq integer,
    source text not null,
    type text not null,
    level text not null default 'info',
    phase text,
    message text,
    payload jsonb not null default '{}'::jsonb,
    ts timestamptz not null,
    recorded_at timestamptz not null default pg_catalog.now(),
    constraint run_events_pkey primary key (id),
    constraint run_events_attempt_id_seq_key unique (attempt_id, seq),
    constraint run_events_seq_not_negative check (seq >= 0),
    constraint run_events_source_valid check (source in ('executor', 'system')),
    constraint run_events_executor_events_have_attempt check (source <> 'executor' or attempt_id is not null),
    constraint run_events_type_format check (type ~ '^[a-z][a-z0-9_.-]{0,99}$'),
    constraint run_events_level_valid check (level in ('debug', 'info', 'warning', 'error', 'critical')),
    constraint run_events_phase_length check (pg_catalog.char_length(phase) between 1 and 200),
    constraint run_events_message_length check (pg_catalog.char_length(message) <= 16384),
    constraint run_events_payload_is_object check (pg_catalog.jsonb_typeof(payload) = 'object'),
    constraint run_events_payload_size check (pg_catalog.octet_length(payload::text) <= 65536),
    constraint run_events_run_id_fkey foreign key (run_id)
    references public.runs (id) on delete cascade,
    constraint run_events_attempt_id_fkey foreign key (attempt_id)
    references public.run_attempts (id) on delete cascade
);

create index run_events_run_id_idx on public.run_events (run_id, id);
create index run_events_workspace_id_idx on public.run_events (workspace_id);

comment on table public.run_events is
'Append-only structured events of runs, from executors (emit_events) and from the control plane (source system). UPDATE and DELETE raise; only private.purge_finished_runs removes rows.';
comment on column public.run_events.id is 'Arrival order.';
comment on column public.run_events.run_id is 'The run.';
comment on column public.run_events.attempt_id is 'The attempt (null for run-level system events).';
comment on column public.run_events.workspace_id is 'The run''s workspace (for RLS).';
comment on column public.run_events.seq is 'Executor sequence number within the attempt; a re-sent (attempt, seq) is ignored.';
comment on column public.run_events.source is 'executor | system.';
comment on column public.run_events.type is 'Dotted event type, e.g. phase.started, log, lease.rejected.';
comment on column public.run_events.level is 'debug | info | warning | error | critical.';
comment on column public.run_events.phase is 'Phase name, when the event belongs to one.';
comment on column public.run_events.message is 'Human-readable message (at most 16 KiB).';
comment on column public.run_events.payload is 'Structured details (JSON object, at most 64 KiB).';
comment on column public.run_events.ts is 'When it happened (executor clock for executor events).';
comment on column public.run_events.recorded_at is 'When the control plane stored it.';

-- Privileges: RLS everywhere; API roles read (RLS filters), nobody writes but the RPCs. -----

alter table public.workspaces enable row level security;
alter table public.workspace_members enable row level security;
alter table public.pipeline_specs enable row level security;
alter table public.executors enable row level security;
alter table public.runs enable row level security;
alter table public.run_attempts enable row level security;
alter table public.run_transitions enable row level security;
alter table public.run_events enable row level security;

revoke all on table
public.workspaces, public.workspace_members, public.pipeline_specs, public.executors,
public.runs, public.run_attempts, public.run_transitions, public.run_events
from public, anon, authenticated, service_role, controlroom_executor;

grant select on table
public.workspaces, public.workspace_members, public.pipeline_specs, public.executors,
public.runs, public.run_attempts, public.run_transitions, public.run_events
to authenticated, service_role;
