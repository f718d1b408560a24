-- Why: a silence mutes the notifications of matching alerts until it ends (Alertmanager's
-- silences): the alerts still open, count signals and show in the board, but no tier is
-- delivered while a silence matches. Silences end by themselves (ends_at) or are expired early.

create table public.alert_silences (
    id uuid not null default pg_catalog.gen_random_uuid(),
    workspace_id uuid not null,
    matchers jsonb not null,
    starts_at timestamptz not null,
    ends_at timestamptz not null,
    comment text not null,
    created_by text not null,
    created_at timestamptz not null,
    expired_at timestamptz,
    expired_by text,
    constraint alert_silences_pkey primary key (id),
    constraint alert_silences_matchers_is_object check (pg_catalog.jsonb_typeof(matchers) = 'object'),
    constraint alert_silences_ends_after_start check (ends_at > starts_at),
    constraint alert_silences_comment_length check (pg_catalog.char_length(comment) between 1 and 2000),
    constraint alert_silences_expiry_complete check ((expired_at is null) = (expired_by is null)),
    constraint alert_silences_workspace_id_fkey foreign key (workspace_id)
    references public.workspaces (id) on delete cascade
);

create index alert_silences_workspace_id_ends_at_idx on public.alert_silences (workspace_id, ends_at);

comment on table public.alert_silences is
'Silences: while one is active (starts_at <= now < ends_at, not expired) matching alerts are not delivered. Written only by add_silence and expire_silence.';
comment on column public.alert_silences.id is 'Silence id.';
comment on column public.alert_silences.workspace_id is 'Owning workspace.';
comment on column public.alert_silences.matchers is 'The same matchers as a route''s match (signal_type, severity, spec glob, pool, labels).';
comment on column public.alert_silences.starts_at is 'Start (the time add_silence was called).';
comment on column public.alert_silences.ends_at is 'End: the silence stops matching at this time.';
comment on column public.alert_silences.comment is 'Why the silence exists (required, as in Alertmanager).';
comment on column public.alert_silences.created_by is 'Actor that added it: user:<uuid> or service_role.';
comment on column public.alert_silences.created_at is 'Time it was added.';
comment on column public.alert_silences.expired_at is 'Set when expired early by expire_silence.';
comment on column public.alert_silences.expired_by is 'Actor that expired it early.';

alter table public.alert_silences enable row level security;

revoke all on table public.alert_silences from public, anon, authenticated, service_role, controlroom_executor;
grant select on table public.alert_silences to authenticated, service_role;

create policy alert_silences_select_members on public.alert_silences
for select to authenticated
using (workspace_id in (select private.member_workspace_ids((select auth.uid()), 'viewer')));
