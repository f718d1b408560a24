-- Why: artifacts live in the data plane (S3, write-once, SHA-256 checked), but whether an object
-- counts as the output of a run is decided here. An executor registers each object it uploaded
-- with the lease of its attempt, so a zombie's output can never be registered (fencing). The
-- record pins the object's digest and size for `controlroom artifacts verify`, which reports what
-- it re-read through record_artifact_verification. Records are write-once and unique per
-- (attempt, phase, name): a retried attempt writes under its own key prefix and registers its
-- own records, so a retry never collides with the artifacts of the attempt before it (see
-- docs/architecture.md, "Artifacts").

create table public.artifacts (
    id uuid not null default pg_catalog.gen_random_uuid(),
    workspace_id uuid not null,
    run_id uuid not null,
    attempt_id uuid not null,
    phase text not null,
    name text not null,
    uri text not null,
    sha256 text not null,
    size_bytes bigint not null,
    content_type text not null default 'application/octet-stream',
    lineage jsonb not null default '{}'::jsonb,
    created_at timestamptz not null default pg_catalog.now(),
    version_id text,
    etag text,
    constraint artifacts_pkey primary key (id),
    constraint artifacts_attempt_id_phase_name_key unique (attempt_id, phase, name),
    constraint artifacts_uri_key unique (uri),
    constraint artifacts_sha256_format check (sha256 ~ '^[0-9a-f]{64}$'),
    constraint artifacts_size_bytes_not_negative check (size_bytes >= 0),
    constraint artifacts_phase_format check (phase ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$'),
    constraint artifacts_name_format check (
        pg_catalog.char_length(name) <= 512
        and name ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,127}(/[A-Za-z0-9][A-Za-z0-9._-]{0,127})*$'
    ),
    constraint artifacts_uri_follows_key_layout check (
        pg_catalog.char_length(uri) <= 2048
        and pg_catalog.split_part(uri, '/', 3) ~ '^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$'
        and pg_catalog.split_part(uri, '/', 6) ~ '^[1-9][0-9]{0,2}$'
        and uri = 's3://' || pg_catalog.split_part(uri, '/', 3) || '/' || workspace_id::text || '/'
        || run_id::text || '/' || pg_catalog.split_part(uri, '/', 6) || '/' || phase || '/' || name
    ),
    constraint artifacts_content_type_length check (pg_catalog.char_length(content_type) between 1 and 255),
    constraint artifacts_lineage_is_object check (pg_catalog.jsonb_typeof(lineage) = 'object'),
    constraint artifacts_lineage_size check (pg_catalog.octet_length(lineage::text) <= 65536),
    constraint artifacts_version_id_length check (pg_catalog.char_length(version_id) between 1 and 1024),
    constraint artifacts_etag_length check (pg_catalog.char_length(etag) between 1 and 1024),
    constraint artifacts_workspace_id_fkey foreign key (workspace_id)
    references public.workspaces (id) on delete cascade,
    constraint artifacts_run_id_fkey foreign key (run_id)
    references public.runs (id) on delete cascade,
    constraint artifacts_attempt_id_fkey foreign key (attempt_id)
    references public.run_attempts (id) on delete cascade
);

create index artifacts_workspace_id_idx on public.artifacts (workspace_id);
create index artifacts_run_id_idx on public.artifacts (run_id, created_at);
-- Retention (0622): a workspace's artifacts in registration order, from the expiry queue's mark on.
create index artifacts_workspace_id_created_at_idx on public.artifacts (workspace_id, created_at);

comment on table public.artifacts is
'Write-once records of objects that executors uploaded to the data plane (register_artifact), with the SHA-256 and size that verify checks. Unique per (attempt, phase, name) and per uri. UPDATE and DELETE raise; only the retention purge removes rows (with their run).';
comment on column public.artifacts.id is 'Artifact id (lineage inputs name it).';
comment on column public.artifacts.workspace_id is 'The run''s workspace (for RLS).';
comment on column public.artifacts.run_id is 'The run that produced it.';
comment on column public.artifacts.attempt_id is 'The attempt that produced it; its lease registered the record.';
comment on column public.artifacts.phase is 'The producing phase (a key segment: [A-Za-z0-9._-], 1-128 characters).';
comment on column public.artifacts.name is 'Name within the phase; /-separated key segments, at most 512 characters (e.g. logs/stdout.log). Unique per attempt and phase.';
comment on column public.artifacts.uri is 's3://<bucket>/<workspace_id>/<run_id>/<attempt_no>/<phase>/<name>; unique (objects are write-once).';
comment on column public.artifacts.sha256 is 'SHA-256 of the whole object, 64 lower-case hex digits, computed while uploading.';
comment on column public.artifacts.size_bytes is 'Object size in bytes.';
comment on column public.artifacts.content_type is 'MIME type of the object.';
comment on column public.artifacts.lineage is 'Lineage metadata (JSON object, at most 64 KiB): spec_hash, producing_phase, inputs [{artifact_id, sha256}], tool_versions, row_count, extra.';
comment on column public.artifacts.created_at is 'When it was registered (the as_of of register_artifact).';
comment on column public.artifacts.version_id is 'The S3 version the upload created (versioned, Object Lock bucket); verify reads exactly this version. Null for records of unversioned buckets.';
comment on column public.artifacts.etag is 'The ETag S3 returned for the upload (with version_id, what the record pins).';

-- Write-once: the same statement guard as run_events; DELETE passes only inside the purge
-- functions (controlroom.purging), where it arrives by cascade from run_attempts/runs/workspaces.
create trigger artifacts_append_only
before update or delete on public.artifacts
for each statement execute function private.reject_table_change('artifacts are write-once records.');

create trigger artifacts_no_truncate
before truncate on public.artifacts
for each statement execute function private.reject_table_change('artifacts are write-once records.');

-- RLS on every table: members read their workspaces' rows; nobody writes but the RPCs.
alter table public.artifacts enable row level security;

revoke all on table public.artifacts from public, anon, authenticated, service_role, controlroom_executor;
grant select on table public.artifacts to authenticated, service_role;

create policy artifacts_select_members on public.artifacts
for select to authenticated
using (workspace_id in (select private.member_workspace_ids((select auth.uid()), 'viewer')));
