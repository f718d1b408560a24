-- Why: who did what to an alert, and when, must be answerable (issue 14): every change of an alert
-- (opened, signal counted, escalated, notification suppressed, acknowledged, resolved, reopened)
-- is an append-only row with its actor: the user, the service role or system:<job>.

create table public.alert_changes (
    id bigint generated always as identity,
    alert_id uuid not null,
    workspace_id uuid not null,
    change text not null,
    from_status text,
    to_status text not null,
    tier integer,
    signal_id bigint,
    actor text not null,
    note text,
    at timestamptz not null,
    constraint alert_changes_pkey primary key (id),
    constraint alert_changes_change_valid check (
        change in ('opened', 'signal', 'escalated', 'repeated', 'suppressed', 'acknowledged', 'resolved', 'reopened')
    ),
    constraint alert_changes_from_status_valid check (from_status in ('open', 'acknowledged', 'resolved')),
    constraint alert_changes_to_status_valid check (to_status in ('open', 'acknowledged', 'resolved')),
    constraint alert_changes_actor_format check (
        actor ~ '^(user:[0-9a-f-]{36}|service_role|system:[a-z_]+)$'
    ),
    constraint alert_changes_note_length check (pg_catalog.char_length(note) <= 2000),
    constraint alert_changes_alert_id_fkey foreign key (alert_id)
    references public.alerts (id) on delete cascade
);

create index alert_changes_alert_id_idx on public.alert_changes (alert_id, id);
create index alert_changes_workspace_id_idx on public.alert_changes (workspace_id);
create index alert_changes_signal_id_idx on public.alert_changes (signal_id) where signal_id is not null;

comment on table public.alert_changes is
'Append-only audit of every alert change with its actor (user:<uuid>, service_role, system:<job>). UPDATE and DELETE raise; only the purge of the workspace removes rows.';
comment on column public.alert_changes.id is 'Change id, in order.';
comment on column public.alert_changes.alert_id is 'The alert.';
comment on column public.alert_changes.workspace_id is 'Workspace of the alert.';
comment on column public.alert_changes.change is 'opened | signal | escalated | repeated | suppressed | acknowledged | resolved | reopened.';
comment on column public.alert_changes.from_status is 'Status before (null when opened).';
comment on column public.alert_changes.to_status is 'Status after.';
comment on column public.alert_changes.tier is 'Tier reached (escalated, repeated, suppressed).';
comment on column public.alert_changes.signal_id is 'The signal that caused it (opened, signal, reopened, resolved by recovery).';
comment on column public.alert_changes.actor is 'Who: user:<uuid>, service_role or system:<job> (system:signal, system:escalation, system:recovery).';
comment on column public.alert_changes.note is 'Note given with acknowledge_alert or resolve_alert, or what suppressed a notification.';
comment on column public.alert_changes.at is 'When.';

alter table public.alert_changes enable row level security;

revoke all on table public.alert_changes from public, anon, authenticated, service_role, controlroom_executor;
grant select on table public.alert_changes to authenticated, service_role;

create policy alert_changes_select_members on public.alert_changes
for select to authenticated
using (workspace_id in (select private.member_workspace_ids((select auth.uid()), 'viewer')));

create trigger alert_changes_append_only
before update or delete on public.alert_changes
for each statement execute function private.reject_table_change('alert_changes is an append-only audit.');

create trigger alert_changes_no_truncate
before truncate on public.alert_changes
for each statement execute function private.reject_table_change('alert_changes is an append-only audit.');
