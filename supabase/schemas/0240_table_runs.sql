-- Why: what was asked. Definition columns never change after insert; status and bookkeeping change
-- only through the transition layer (0300_trigger_runs_state_machine.sql), which audits every change
-- in run_transitions. Invariants are named constraints, so a violation names itself.

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
    due_by timestamptz,
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
    references public.pipeline_specs (id, workspace_id)
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
-- The orchestration caps count what runs and what waits per workspace, up to the cap (0515, 0415).
create index runs_active_workspace_id_pool_idx on public.runs (workspace_id, pool)
where status in ('claimed', 'running');
create index runs_queued_workspace_id_idx on public.runs (workspace_id)
where status = 'queued';

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
comment on column public.runs.submitted_by is
'Submitting user (null for the service role) (definition, immutable). History: no foreign key, the id stays after the account is deleted.';
comment on column public.runs.created_at is 'Submit time; claim order within a score (definition, immutable).';
comment on column public.runs.status is 'queued | claimed | running | succeeded | failed | cancelled | timed_out (see docs/architecture.md).';
comment on column public.runs.score is 'Claim order, higher first: the multi-signal score (private.run_score; explain_score shows its factors), stored at submit, on requeue and by the refresh tick (public.refresh_scores).';
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
comment on column public.runs.due_by is 'Optional deadline given at submit: the deadline factor of the score rises as it nears (definition).';

-- RLS on every table: members read their workspaces' rows; nobody writes but the RPCs.
alter table public.runs enable row level security;

revoke all on table public.runs from public, anon, authenticated, service_role, controlroom_executor;
grant select on table public.runs to authenticated, service_role;

create policy runs_select_members on public.runs
for select to authenticated
using (workspace_id in (select private.member_workspace_ids((select auth.uid()), 'viewer')));
