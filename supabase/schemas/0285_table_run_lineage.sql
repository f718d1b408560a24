-- Why: a failed run is resubmitted with its exact spec and params, or repaired from a phase, and
-- nobody should have to guess how two runs relate (issue 16). A run made by rerun_run or
-- repair_run gets one write-once row here: its parent, how it was made, and for a repair the
-- recorded outputs of the phases before from_phase that it reuses (each artifact with the run that
-- produced it and its digest, which the executor checks before trusting it).

create table public.run_lineage (
    run_id uuid not null,
    workspace_id uuid not null,
    parent_run_id uuid not null,
    kind text not null,
    from_phase text,
    reused jsonb not null default '[]'::jsonb,
    created_at timestamptz not null,
    created_by text not null,
    constraint run_lineage_pkey primary key (run_id),
    constraint run_lineage_kind_valid check (kind in ('rerun', 'repair')),
    constraint run_lineage_from_phase_iff_repair check ((from_phase is not null) = (kind = 'repair')),
    constraint run_lineage_not_own_parent check (parent_run_id <> run_id),
    constraint run_lineage_reused_is_array check (pg_catalog.jsonb_typeof(reused) = 'array'),
    constraint run_lineage_run_id_fkey foreign key (run_id)
    references public.runs (id) on delete cascade,
    constraint run_lineage_workspace_id_fkey foreign key (workspace_id)
    references public.workspaces (id) on delete cascade
);

create index run_lineage_parent_run_id_idx on public.run_lineage (parent_run_id);
create index run_lineage_workspace_id_idx on public.run_lineage (workspace_id);

comment on table public.run_lineage is
'How a run made by rerun_run or repair_run relates to the run it came from. Write-once; only the retention purge removes rows (with their run).';
comment on column public.run_lineage.run_id is 'The new run.';
comment on column public.run_lineage.workspace_id is 'The runs'' workspace (for RLS).';
comment on column public.run_lineage.parent_run_id is 'The run it reruns or repairs (no foreign key: retention may purge an old parent before its children).';
comment on column public.run_lineage.kind is 'rerun (every phase again) | repair (from from_phase, reusing the outputs before it).';
comment on column public.run_lineage.from_phase is 'The first phase a repair executes; null for a rerun.';
comment on column public.run_lineage.reused is 'The recorded outputs a repair reuses: [{phase, artifact_id, run_id, attempt_id, name, uri, sha256, size_bytes, content_type, version_id, etag}], each produced by run_id.';
comment on column public.run_lineage.created_at is 'When the run was made (the as_of of the call).';
comment on column public.run_lineage.created_by is 'The audit actor who asked for it (user:<uuid> or service_role).';

create trigger run_lineage_append_only
before update or delete on public.run_lineage
for each statement execute function private.reject_table_change('run lineage is write-once.');

create trigger run_lineage_no_truncate
before truncate on public.run_lineage
for each statement execute function private.reject_table_change('run lineage is write-once.');

alter table public.run_lineage enable row level security;

revoke all on table public.run_lineage from public, anon, authenticated, service_role, controlroom_executor;
grant select on table public.run_lineage to authenticated, service_role;

create policy run_lineage_select_members on public.run_lineage
for select to authenticated
using (workspace_id in (select private.member_workspace_ids((select auth.uid()), 'viewer')));
