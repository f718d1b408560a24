-- Why: append-only structured events of runs (emit_events, complete_runs, system events).
-- run_id and attempt_id have no foreign keys: per-row RI checks cost a third of emit_events' time,
-- so the same check runs once per statement in 0320_trigger_run_events_parents.sql
-- (docs/benchmarks.md, "Control plane").

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
    constraint run_events_payload_size check (pg_catalog.octet_length(payload::text) <= 65536)
);

create index run_events_run_id_idx on public.run_events (run_id, id);
create index run_events_workspace_id_idx on public.run_events (workspace_id);
-- Retention of verification records (0340 purge_artifact_verifications): small, only those events.
create index run_events_verifications_idx on public.run_events (workspace_id, ts)
where type in ('artifact.verified', 'artifact.verification_failed');

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

-- RLS on every table: members read their workspaces' rows; nobody writes but the RPCs.
alter table public.run_events enable row level security;

revoke all on table public.run_events from public, anon, authenticated, service_role, controlroom_executor;
grant select on table public.run_events to authenticated, service_role;

create policy run_events_select_members on public.run_events
for select to authenticated
using (workspace_id in (select private.member_workspace_ids((select auth.uid()), 'viewer')));

-- Append-only, for every role (0130).
create trigger run_events_append_only
before update or delete on public.run_events
for each statement execute function private.reject_table_change('run_events is append-only.');

create trigger run_events_no_truncate
before truncate on public.run_events
for each statement execute function private.reject_table_change('run_events is append-only.');
