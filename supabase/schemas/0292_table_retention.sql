-- Why: retention (issue 16). Events and finished runs were never purged although purge functions
-- existed. Each workspace declares how long it keeps them; a pg_cron job applies the policies in
-- bounded batches through the purge functions of 0340 (the only door), and every purge is recorded
-- here: what, how many, the cutoff and the policy that asked for it. Artifact objects live in S3,
-- which the database cannot reach: their expiry is decided and recorded here and carried out by
-- `controlroom retention apply` through claim_artifact_expiries / confirm_artifact_expiries (0293,
-- 0622); verification records are run events purged by the same job.

create table public.retention_policies (
    workspace_id uuid not null,
    events_after_days integer,
    runs_after_days integer,
    updated_at timestamptz not null,
    updated_by text not null,
    artifacts_after_days integer,
    verifications_after_days integer,
    constraint retention_policies_pkey primary key (workspace_id),
    constraint retention_policies_events_after_days_range check (events_after_days between 1 and 36500),
    constraint retention_policies_runs_after_days_range check (runs_after_days between 1 and 36500),
    constraint retention_policies_artifacts_after_days_range check (artifacts_after_days between 1 and 36500),
    constraint retention_policies_verifications_after_days_range check (verifications_after_days between 1 and 36500),
    constraint retention_policies_workspace_id_fkey foreign key (workspace_id)
    references public.workspaces (id) on delete cascade
);

comment on table public.retention_policies is
'How long a workspace keeps its history; null keeps it forever. Applied by the controlroom_apply_retention pg_cron job (private.apply_retention); set with set_retention_policy.';
comment on column public.retention_policies.workspace_id is 'The workspace.';
comment on column public.retention_policies.events_after_days is 'Run events older than this many days (by ts) of finished runs are purged; null: kept.';
comment on column public.retention_policies.runs_after_days is 'Runs finished more than this many days ago are purged with their attempts, transitions, events, artifact records and lineage; null: kept.';
comment on column public.retention_policies.updated_at is 'When the policy was last set.';
comment on column public.retention_policies.updated_by is 'Who set it (user:<uuid> or service_role).';
comment on column public.retention_policies.artifacts_after_days is 'Artifact objects (the S3 version each record pins) registered more than this many days ago are deleted from S3 by controlroom retention apply and recorded in artifact_expiries; the records stay. Null: kept forever.';
comment on column public.retention_policies.verifications_after_days is 'Verification records (artifact.verified / artifact.verification_failed run events) older than this many days (by ts) are purged, of any run; null: kept.';

create table public.retention_purges (
    id bigint generated always as identity,
    workspace_id uuid not null,
    what text not null,
    rows_purged bigint not null,
    cutoff timestamptz not null,
    policy jsonb not null,
    purged_at timestamptz not null,
    constraint retention_purges_pkey primary key (id),
    constraint retention_purges_what_valid check (
        what in ('run_events', 'runs', 'artifact_objects', 'artifact_verifications')
    ),
    constraint retention_purges_rows_positive check (rows_purged > 0),
    constraint retention_purges_workspace_id_fkey foreign key (workspace_id)
    references public.workspaces (id) on delete cascade
);

create index retention_purges_workspace_id_purged_at_idx on public.retention_purges (workspace_id, purged_at);

comment on table public.retention_purges is
'Append-only record of every retention purge: one row per batch that removed something.';
comment on column public.retention_purges.id is 'Order of the purges.';
comment on column public.retention_purges.workspace_id is 'Whose history was purged.';
comment on column public.retention_purges.what is 'run_events | runs (runs include their attempts, transitions, events, artifact records and lineage) | artifact_objects (S3 objects deleted, one artifact_expiries row each) | artifact_verifications (artifact.verified / artifact.verification_failed events).';
comment on column public.retention_purges.rows_purged is 'How many events, runs or artifact objects the batch removed.';
comment on column public.retention_purges.cutoff is 'Older than this was purged.';
comment on column public.retention_purges.policy is 'The policy (retention_policies row as JSON) that asked for it.';
comment on column public.retention_purges.purged_at is 'When (the as_of of the job).';

create trigger retention_purges_append_only
before update or delete on public.retention_purges
for each statement execute function private.reject_table_change('retention purges are an append-only record.');

create trigger retention_purges_no_truncate
before truncate on public.retention_purges
for each statement execute function private.reject_table_change('retention purges are an append-only record.');

alter table public.retention_policies enable row level security;
alter table public.retention_purges enable row level security;

revoke all on table public.retention_policies from public, anon, authenticated, service_role, controlroom_executor;
revoke all on table public.retention_purges from public, anon, authenticated, service_role, controlroom_executor;
grant select on table public.retention_policies to authenticated, service_role;
grant select on table public.retention_purges to authenticated, service_role;

create policy retention_policies_select_members on public.retention_policies
for select to authenticated
using (workspace_id in (select private.member_workspace_ids((select auth.uid()), 'viewer')));

create policy retention_purges_select_members on public.retention_purges
for select to authenticated
using (workspace_id in (select private.member_workspace_ids((select auth.uid()), 'viewer')));
