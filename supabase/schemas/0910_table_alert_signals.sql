-- Why: signals are the facts alerting starts from (issue 14): a run failed, a run ran too long, an
-- executor went silent. Each is an append-only row with its subject (run, spec, pool, executor),
-- type, severity and a fingerprint: signals with the same fingerprint are one alert, and a
-- recovery signal (is_recovery) with the fingerprint of a problem resolves that problem's alerts.
-- They are raised by triggers (0960) and the alert sweep (0970), never by API callers.

create table public.alert_signals (
    id bigint generated always as identity,
    workspace_id uuid not null,
    run_id uuid,
    spec_name text,
    pool text,
    executor_id uuid,
    signal_type text not null,
    severity text not null,
    fingerprint text not null,
    is_recovery boolean not null default false,
    labels jsonb not null default '{}'::jsonb,
    payload jsonb not null default '{}'::jsonb,
    raised_at timestamptz not null,
    constraint alert_signals_pkey primary key (id),
    constraint alert_signals_signal_type_valid check (
        signal_type in (
            'run_failed', 'run_timed_out', 'cap_exceeded', 'retries_exhausted', 'run_too_long',
            'run_stuck_queued', 'executor_lost', 'budget_burn', 'artifact_verification_failed',
            'lease_rejected', 'run_recovered', 'queue_drained', 'executor_recovered', 'budget_recovered'
        )
    ),
    constraint alert_signals_recovery_types check (
        is_recovery = (signal_type in ('run_recovered', 'queue_drained', 'executor_recovered', 'budget_recovered'))
    ),
    constraint alert_signals_severity_valid check (severity in ('critical', 'warning', 'info')),
    constraint alert_signals_fingerprint_length check (pg_catalog.char_length(fingerprint) between 1 and 500),
    constraint alert_signals_labels_is_object check (pg_catalog.jsonb_typeof(labels) = 'object'),
    constraint alert_signals_payload_is_object check (pg_catalog.jsonb_typeof(payload) = 'object'),
    constraint alert_signals_workspace_id_fkey foreign key (workspace_id)
    references public.workspaces (id) on delete cascade
);

-- The sweep asks "was this raised lately?" per fingerprint before raising a time-based signal again.
create index alert_signals_workspace_id_fingerprint_idx on public.alert_signals (workspace_id, fingerprint, raised_at desc);
create index alert_signals_run_id_idx on public.alert_signals (run_id) where run_id is not null;

comment on table public.alert_signals is
'Append-only signals raised by the database (triggers on run_transitions and run_events, the alert sweep): what happened, to which subject, how bad, and the fingerprint that groups signals into alerts. UPDATE and DELETE raise; only the purge of the workspace removes rows.';
comment on column public.alert_signals.id is 'Signal id, in raise order.';
comment on column public.alert_signals.workspace_id is 'Workspace of the subject.';
comment on column public.alert_signals.run_id is 'Subject run, when the signal is about a run (no foreign key: signals outlive purged runs).';
comment on column public.alert_signals.spec_name is 'Pipeline (spec name) of the subject, when known; routes match it with a glob.';
comment on column public.alert_signals.pool is 'Pool of the subject, when known.';
comment on column public.alert_signals.executor_id is 'Subject executor (executor_lost, lease_rejected).';
comment on column public.alert_signals.signal_type is 'What happened: run_failed, run_timed_out, cap_exceeded, retries_exhausted, run_too_long, run_stuck_queued, executor_lost, budget_burn, artifact_verification_failed, lease_rejected; recoveries run_recovered, queue_drained, executor_recovered, budget_recovered.';
comment on column public.alert_signals.severity is 'critical | warning | info.';
comment on column public.alert_signals.fingerprint is 'Identity of the problem: <problem type>:<subject>; the same fingerprint is the same alert, and a recovery carries the fingerprint of the problem it clears.';
comment on column public.alert_signals.is_recovery is 'True for recovery signals: they resolve the open alerts with their fingerprint.';
comment on column public.alert_signals.labels is 'The labels routes match (the spec''s labels, the executor''s labels).';
comment on column public.alert_signals.payload is 'Details: reasons, thresholds, wait reason, error class.';
comment on column public.alert_signals.raised_at is 'When the cause happened (the transition, the event, the sweep time).';

alter table public.alert_signals enable row level security;

revoke all on table public.alert_signals from public, anon, authenticated, service_role, controlroom_executor;
grant select on table public.alert_signals to authenticated, service_role;

create policy alert_signals_select_members on public.alert_signals
for select to authenticated
using (workspace_id in (select private.member_workspace_ids((select auth.uid()), 'viewer')));

create trigger alert_signals_append_only
before update or delete on public.alert_signals
for each statement execute function private.reject_table_change('alert_signals is append-only.');

create trigger alert_signals_no_truncate
before truncate on public.alert_signals
for each statement execute function private.reject_table_change('alert_signals is append-only.');
