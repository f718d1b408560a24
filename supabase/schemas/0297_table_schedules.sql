-- Why: schedules (issue 16) are declared in a spec's `schedules:` and materialised here when the
-- spec is published (0336): the current version of a spec name in a workspace owns its schedules.
-- The pg_cron tick (private.fire_due_schedules, 0485) reads due rows through next_fire_at, and
-- schedule_ticks records one row per (schedule, fire time) with the run it submitted: its primary
-- key makes a tick idempotent. Members read both; nobody writes them but the RPCs.

create table public.schedules (
    id uuid not null default pg_catalog.gen_random_uuid(),
    workspace_id uuid not null,
    spec_name text not null,
    spec_id uuid not null,
    name text not null,
    cron text not null,
    timezone text not null,
    params jsonb not null,
    catchup text not null,
    max_catchup integer not null,
    declared_paused boolean not null,
    paused boolean not null,
    paused_at timestamptz,
    paused_by text,
    fired_through timestamptz not null,
    next_fire_at timestamptz,
    created_at timestamptz not null default pg_catalog.now(),
    updated_at timestamptz not null default pg_catalog.now(),
    constraint schedules_pkey primary key (id),
    constraint schedules_workspace_id_spec_name_name_key unique (workspace_id, spec_name, name),
    constraint schedules_name_format check (name ~ '^[a-z0-9](?:[a-z0-9_-]{0,61}[a-z0-9])?$'),
    constraint schedules_cron_length check (pg_catalog.char_length(cron) between 9 and 200),
    constraint schedules_timezone_length check (pg_catalog.char_length(timezone) between 1 and 64),
    constraint schedules_params_is_object check (pg_catalog.jsonb_typeof(params) = 'object'),
    constraint schedules_catchup_known check (catchup in ('none', 'latest', 'all')),
    constraint schedules_max_catchup_range check (max_catchup between 1 and 100),
    constraint schedules_paused_by_format check (
        paused_by is null or paused_by ~ '^(user:[0-9a-f-]{36}|service_role|spec)$'
    ),
    constraint schedules_spec_id_workspace_id_fkey foreign key (spec_id, workspace_id)
    references public.pipeline_specs (id, workspace_id) on delete cascade,
    constraint schedules_workspace_id_fkey foreign key (workspace_id)
    references public.workspaces (id) on delete cascade
);

-- The tick's probe: due, unpaused schedules in fire-time order.
create index schedules_next_fire_at_idx on public.schedules (next_fire_at) where not paused;
create index schedules_spec_id_idx on public.schedules (spec_id);

comment on table public.schedules is
'Cron schedules of the current version of each spec name (materialised by publish_spec from body.schedules; docs/specs.md, "schedules"). Pause state survives re-publishing by schedule name.';
comment on column public.schedules.id is 'Schedule id; kept across re-publishing while the spec declares a schedule of this name.';
comment on column public.schedules.workspace_id is 'Owning workspace.';
comment on column public.schedules.spec_name is 'The spec name whose current version declares the schedule.';
comment on column public.schedules.spec_id is 'The spec version that declares it now (its runs are submitted of this version).';
comment on column public.schedules.name is 'Schedule name, unique per spec name.';
comment on column public.schedules.cron is 'Five-field cron expression (private.cron_parse).';
comment on column public.schedules.timezone is 'IANA time zone the cron expression is read in (default UTC).';
comment on column public.schedules.params is 'Params of the runs it submits (the spec''s defaults are filled in at submit).';
comment on column public.schedules.catchup is 'After missed fire times: none (only a fire time less than 2 minutes old), latest (the newest missed one), all (the newest max_catchup).';
comment on column public.schedules.max_catchup is 'Most fire times one tick submits for this schedule under catchup all (1-100, default 10).';
comment on column public.schedules.declared_paused is 'The paused value the spec declares; a change of it on publish overrides the operator''s pause state.';
comment on column public.schedules.paused is 'Whether ticks skip it (pause_schedule / resume_schedule, or the spec).';
comment on column public.schedules.paused_at is 'When the pause state last changed.';
comment on column public.schedules.paused_by is 'Who changed the pause state last: user:<uuid>, service_role, or spec (a publish).';
comment on column public.schedules.fired_through is 'Every fire time up to this instant has been handled (submitted or skipped).';
comment on column public.schedules.next_fire_at is 'First fire time after fired_through (null if the expression never fires again).';
comment on column public.schedules.created_at is 'When the schedule was first published.';
comment on column public.schedules.updated_at is 'Last change by a publish, a pause or a tick.';

alter table public.schedules enable row level security;

revoke all on table public.schedules from public, anon, authenticated, service_role, controlroom_executor;
grant select on table public.schedules to authenticated, service_role;

create policy schedules_select_members on public.schedules
for select to authenticated
using (workspace_id in (select private.member_workspace_ids((select auth.uid()), 'viewer')));

create table public.schedule_ticks (
    schedule_id uuid not null,
    fire_at timestamptz not null,
    workspace_id uuid not null,
    ticked_at timestamptz not null,
    outcome text not null,
    run_id uuid,
    code text,
    message text,
    constraint schedule_ticks_pkey primary key (schedule_id, fire_at),
    constraint schedule_ticks_outcome_known check (outcome in ('submitted', 'duplicate', 'rejected')),
    constraint schedule_ticks_no_run_when_rejected check (outcome <> 'rejected' or run_id is null),
    constraint schedule_ticks_code_when_rejected check ((code is not null) = (outcome = 'rejected')),
    constraint schedule_ticks_message_length check (pg_catalog.char_length(message) <= 2000),
    constraint schedule_ticks_schedule_id_fkey foreign key (schedule_id)
    references public.schedules (id) on delete cascade,
    constraint schedule_ticks_run_id_fkey foreign key (run_id)
    references public.runs (id) on delete set null
);

create index schedule_ticks_workspace_id_idx on public.schedule_ticks (workspace_id);
create index schedule_ticks_run_id_idx on public.schedule_ticks (run_id);

comment on table public.schedule_ticks is
'One row per (schedule, fire time) the tick acted on, with the run it submitted or why it was refused; the primary key makes a tick idempotent.';
comment on column public.schedule_ticks.schedule_id is 'The schedule.';
comment on column public.schedule_ticks.fire_at is 'The fire time (an instant; the run''s idempotency key is schedule:<id>@<fire_at>).';
comment on column public.schedule_ticks.workspace_id is 'Workspace of the schedule (for RLS).';
comment on column public.schedule_ticks.ticked_at is 'When the tick submitted it (its as_of).';
comment on column public.schedule_ticks.outcome is 'submitted | duplicate (a run with its key existed) | rejected (private.submit_runs refused it: code, message).';
comment on column public.schedule_ticks.run_id is 'The run of this fire time (null when rejected, or after a purge of the run).';
comment on column public.schedule_ticks.code is 'SQLSTATE of a refusal (PT404, 22023, PT429, 23505, 40001).';
comment on column public.schedule_ticks.message is 'The refusal''s message.';

alter table public.schedule_ticks enable row level security;

revoke all on table public.schedule_ticks from public, anon, authenticated, service_role, controlroom_executor;
grant select on table public.schedule_ticks to authenticated, service_role;

create policy schedule_ticks_select_members on public.schedule_ticks
for select to authenticated
using (workspace_id in (select private.member_workspace_ids((select auth.uid()), 'viewer')));
