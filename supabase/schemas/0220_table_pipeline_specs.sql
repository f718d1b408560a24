-- Why: what to run. Published versions are immutable and content-addressed (spec_hash); their
-- settings are generated columns, computed by the helpers of 0100, so spec_hash describes behaviour.

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
    references public.workspaces (id) on delete cascade
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
comment on column public.pipeline_specs.published_by is
'The user who published this version (null for the service role). History: no foreign key, the id stays after the account is deleted.';
comment on column public.pipeline_specs.published_at is 'When this version was published.';

-- RLS on every table: members read their workspaces' rows; nobody writes but the RPCs.
alter table public.pipeline_specs enable row level security;

revoke all on table public.pipeline_specs from public, anon, authenticated, service_role, controlroom_executor;
grant select on table public.pipeline_specs to authenticated, service_role;

create policy pipeline_specs_select_members on public.pipeline_specs
for select to authenticated
using (workspace_id in (select private.member_workspace_ids((select auth.uid()), 'viewer')));

-- Immutable: a published version is never changed or removed, except by the purge functions (0340).
create trigger pipeline_specs_immutable
before update or delete on public.pipeline_specs
for each statement execute function private.reject_table_change(
    'Published spec versions are immutable; publish a new version instead.'
);
