-- Why: retention of artifact objects (issue 16). The objects live in S3, which the database cannot
-- reach, so the work is split as everywhere else: the database decides which objects are due (the
-- workspace's artifacts_after_days), leases them to whoever carries out the deletes
-- (claim_artifact_expiries, the claim_runs / claim_deliveries pattern) and records each delete
-- (confirm_artifact_expiries); `controlroom retention apply` does the S3 I/O in between. The
-- artifact records are write-once and stay (lineage and digests outlive the bytes): the expiry is
-- a record of its own, append-only, one per artifact. The queue is the mutable part: which
-- artifact is waiting, leased (to whom, until when), deferred (still under Object Lock, or a
-- failed delete, with the reason) or done.
-- Both tables reference the run, not the artifact: a foreign key to artifacts would make Postgres
-- refuse its TRUNCATE with 0A000 before the write-once trigger answers 42501 (0280). Rows go with
-- their run (on delete cascade, inside the purge functions' controlroom.purging setting).

create table public.artifact_expiry_queue (
    artifact_id uuid not null,
    workspace_id uuid not null,
    run_id uuid not null,
    artifact_created_at timestamptz not null,
    status text not null,
    due_at timestamptz,
    attempts integer not null default 0,
    lease_token uuid,
    claimed_by text,
    cutoff timestamptz,
    policy jsonb,
    last_outcome text,
    last_error text,
    retain_until timestamptz,
    updated_at timestamptz not null,
    constraint artifact_expiry_queue_pkey primary key (artifact_id),
    constraint artifact_expiry_queue_status_valid check (status in ('pending', 'leased', 'expired')),
    constraint artifact_expiry_queue_due_unless_expired check ((due_at is null) = (status = 'expired')),
    constraint artifact_expiry_queue_lease_when_leased check (status <> 'leased' or lease_token is not null),
    constraint artifact_expiry_queue_attempts_not_negative check (attempts >= 0),
    constraint artifact_expiry_queue_last_outcome_valid check (last_outcome in ('locked', 'failed')),
    constraint artifact_expiry_queue_last_error_length check (pg_catalog.char_length(last_error) <= 2000),
    constraint artifact_expiry_queue_claimed_by_length check (pg_catalog.char_length(claimed_by) between 1 and 200),
    constraint artifact_expiry_queue_run_id_fkey foreign key (run_id)
    references public.runs (id) on delete cascade,
    constraint artifact_expiry_queue_workspace_id_fkey foreign key (workspace_id)
    references public.workspaces (id) on delete cascade
);

-- The claim's scan: what is due, oldest first; expired rows leave the index.
create index artifact_expiry_queue_due_at_idx on public.artifact_expiry_queue (due_at)
where status <> 'expired';
-- The enqueue step's high-water mark per workspace, and RLS.
create index artifact_expiry_queue_workspace_id_created_idx
on public.artifact_expiry_queue (workspace_id, artifact_created_at);
create index artifact_expiry_queue_run_id_idx on public.artifact_expiry_queue (run_id);

comment on table public.artifact_expiry_queue is
'Artifacts whose objects the retention policy made due for deletion from S3, and where each stands: pending (due_at: when it may be claimed; after a refusal, when to try again), leased (to claimed_by until due_at) or expired (artifact_expiries holds the record). Written only by claim_artifact_expiries and confirm_artifact_expiries.';
comment on column public.artifact_expiry_queue.artifact_id is 'The artifact whose object is to be deleted.';
comment on column public.artifact_expiry_queue.workspace_id is 'Its workspace (for RLS).';
comment on column public.artifact_expiry_queue.run_id is 'The run that produced it (the row goes with the run).';
comment on column public.artifact_expiry_queue.artifact_created_at is 'When the artifact was registered (the policy counts from here; the enqueue step''s high-water mark).';
comment on column public.artifact_expiry_queue.status is 'pending | leased | expired.';
comment on column public.artifact_expiry_queue.due_at is 'pending: claimable from then; leased: the lease ends then (claimable again after a crash); null once expired.';
comment on column public.artifact_expiry_queue.attempts is 'Claims so far.';
comment on column public.artifact_expiry_queue.lease_token is 'The token of the latest claim; a confirmation must carry it.';
comment on column public.artifact_expiry_queue.claimed_by is 'Who claimed it last (host and process of controlroom retention apply).';
comment on column public.artifact_expiry_queue.cutoff is 'The cutoff of the latest claim: artifacts registered before it were due.';
comment on column public.artifact_expiry_queue.policy is 'The retention policy (row as JSON) at the latest claim.';
comment on column public.artifact_expiry_queue.last_outcome is 'Why the last attempt did not delete: locked (Object Lock retention until retain_until) or failed (last_error); null otherwise.';
comment on column public.artifact_expiry_queue.last_error is 'What S3 answered when the last delete failed or was refused.';
comment on column public.artifact_expiry_queue.retain_until is 'The Object Lock retain-until date S3 reported; the delete is retried after it.';
comment on column public.artifact_expiry_queue.updated_at is 'When the row last changed (the as_of of the RPC).';

create table public.artifact_expiries (
    artifact_id uuid not null,
    workspace_id uuid not null,
    run_id uuid not null,
    uri text not null,
    version_id text,
    outcome text not null,
    cutoff timestamptz not null,
    policy jsonb not null,
    expired_by text not null,
    expired_at timestamptz not null,
    constraint artifact_expiries_pkey primary key (artifact_id),
    constraint artifact_expiries_outcome_valid check (outcome in ('deleted', 'already_gone')),
    constraint artifact_expiries_run_id_fkey foreign key (run_id)
    references public.runs (id) on delete cascade,
    constraint artifact_expiries_workspace_id_fkey foreign key (workspace_id)
    references public.workspaces (id) on delete cascade
);

create index artifact_expiries_workspace_id_idx on public.artifact_expiries (workspace_id);
create index artifact_expiries_run_id_idx on public.artifact_expiries (run_id);

comment on table public.artifact_expiries is
'Append-only record of every artifact object deleted from S3 by retention: which version of which artifact, when, by whom, under which policy. verify and repair report such an artifact as expired. Written only by confirm_artifact_expiries; rows go with their run (retention purge).';
comment on column public.artifact_expiries.artifact_id is 'The artifact (its record stays: digest, size, lineage).';
comment on column public.artifact_expiries.workspace_id is 'Its workspace (for RLS).';
comment on column public.artifact_expiries.run_id is 'The run that produced it.';
comment on column public.artifact_expiries.uri is 'The object''s uri.';
comment on column public.artifact_expiries.version_id is 'The S3 version deleted (the one the record pins); null for unversioned buckets.';
comment on column public.artifact_expiries.outcome is 'deleted (the delete succeeded) | already_gone (S3 no longer had that version).';
comment on column public.artifact_expiries.cutoff is 'Artifacts registered before this were due.';
comment on column public.artifact_expiries.policy is 'The retention policy (row as JSON) that asked for it.';
comment on column public.artifact_expiries.expired_by is 'Who carried out the delete (claimed_by of the lease).';
comment on column public.artifact_expiries.expired_at is 'When the delete was confirmed (the as_of of confirm_artifact_expiries).';

create trigger artifact_expiries_append_only
before update or delete on public.artifact_expiries
for each statement execute function private.reject_table_change('artifact expiries are an append-only record.');

create trigger artifact_expiries_no_truncate
before truncate on public.artifact_expiries
for each statement execute function private.reject_table_change('artifact expiries are an append-only record.');

alter table public.artifact_expiry_queue enable row level security;
alter table public.artifact_expiries enable row level security;

revoke all on table public.artifact_expiry_queue from public, anon, authenticated, service_role, controlroom_executor;
revoke all on table public.artifact_expiries from public, anon, authenticated, service_role, controlroom_executor;
grant select on table public.artifact_expiry_queue to authenticated, service_role;
grant select on table public.artifact_expiries to authenticated, service_role;

create policy artifact_expiry_queue_select_members on public.artifact_expiry_queue
for select to authenticated
using (workspace_id in (select private.member_workspace_ids((select auth.uid()), 'viewer')));

create policy artifact_expiries_select_members on public.artifact_expiries
for select to authenticated
using (workspace_id in (select private.member_workspace_ids((select auth.uid()), 'viewer')));
