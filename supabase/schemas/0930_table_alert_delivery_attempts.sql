-- Why: every attempt to send a notification is recorded (issue 14): status code, latency and error,
-- so "did the page go out, and what did the receiver say?" has an answer. Append-only; written by
-- finish_delivery in the transaction that settles the delivery.

create table public.alert_delivery_attempts (
    id bigint generated always as identity,
    delivery_id uuid not null,
    workspace_id uuid not null,
    attempt integer not null,
    lease_token uuid not null,
    dispatcher text not null,
    outcome text not null,
    status_code integer,
    latency_ms integer,
    error text,
    at timestamptz not null,
    constraint alert_delivery_attempts_pkey primary key (id),
    constraint alert_delivery_attempts_lease_token_key unique (lease_token),
    constraint alert_delivery_attempts_attempt_positive check (attempt >= 1),
    constraint alert_delivery_attempts_outcome_valid check (outcome in ('sent', 'failed', 'expired')),
    constraint alert_delivery_attempts_status_code_range check (status_code between 100 and 599),
    constraint alert_delivery_attempts_latency_not_negative check (latency_ms >= 0),
    constraint alert_delivery_attempts_error_length check (pg_catalog.char_length(error) <= 2000),
    constraint alert_delivery_attempts_delivery_id_fkey foreign key (delivery_id)
    references public.alert_deliveries (id) on delete cascade
);

create index alert_delivery_attempts_delivery_id_idx on public.alert_delivery_attempts (delivery_id, attempt);
create index alert_delivery_attempts_workspace_id_idx on public.alert_delivery_attempts (workspace_id);

comment on table public.alert_delivery_attempts is
'Append-only record of every delivery attempt reported by a dispatcher (finish_delivery): outcome, HTTP status, latency, error. One row per lease token.';
comment on column public.alert_delivery_attempts.id is 'Attempt record id.';
comment on column public.alert_delivery_attempts.delivery_id is 'The delivery.';
comment on column public.alert_delivery_attempts.workspace_id is 'Workspace of the delivery.';
comment on column public.alert_delivery_attempts.attempt is 'Attempt number (1, 2, …).';
comment on column public.alert_delivery_attempts.lease_token is 'The lease the attempt was made under (one report per lease).';
comment on column public.alert_delivery_attempts.dispatcher is 'Dispatcher that made it.';
comment on column public.alert_delivery_attempts.outcome is 'sent | failed, as reported; expired when the lease ran out without a report (a crashed dispatcher) and the delivery was claimed again.';
comment on column public.alert_delivery_attempts.status_code is 'HTTP status of the receiver, null when no answer (timeout, connection error).';
comment on column public.alert_delivery_attempts.latency_ms is 'Time to the answer, in milliseconds.';
comment on column public.alert_delivery_attempts.error is 'Error text of a failed attempt.';
comment on column public.alert_delivery_attempts.at is 'When it was reported.';

alter table public.alert_delivery_attempts enable row level security;

revoke all on table public.alert_delivery_attempts from public, anon, authenticated, service_role, controlroom_executor;
grant select on table public.alert_delivery_attempts to authenticated, service_role;

create policy alert_delivery_attempts_select_members on public.alert_delivery_attempts
for select to authenticated
using (workspace_id in (select private.member_workspace_ids((select auth.uid()), 'viewer')));

create trigger alert_delivery_attempts_append_only
before update or delete on public.alert_delivery_attempts
for each statement execute function private.reject_table_change('alert_delivery_attempts is append-only.');

create trigger alert_delivery_attempts_no_truncate
before truncate on public.alert_delivery_attempts
for each statement execute function private.reject_table_change('alert_delivery_attempts is append-only.');
