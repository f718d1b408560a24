-- Rollback of 20261130400400_add_multi_signal_scoring: the tick is unscheduled, submit_run and
-- transition_runs get their previous bodies back, the scoring functions and tables are dropped and
-- runs.score is priority again for new runs.

set lock_timeout = '5s';
set statement_timeout = '60s';

select cron.unschedule(j.jobid)
from cron.job as j
where j.jobname = 'controlroom_refresh_scores';

drop function public.explain_score(uuid, timestamptz);
drop function public.refresh_scores(text, integer, timestamptz);
drop function public.set_score_weights(text, jsonb, timestamptz);
drop function public.submit_run(uuid, text, text, text, jsonb, integer, text, timestamptz, timestamptz);

create function public.submit_run(
    workspace_id uuid,
    spec_name text default null,
    spec_version text default null,
    spec_hash text default null,
    params jsonb default '{}'::jsonb,
    priority integer default 0,
    idempotency_key text default null,
    as_of timestamptz default null
)
returns public.runs
language plpgsql
security definer
set search_path = ''
as $$
#variable_conflict use_column
declare
    v_as_of timestamptz := private.clock(submit_run.as_of);
    v_actor text := private.caller_actor();
    v_spec public.pipeline_specs;
    v_run public.runs;
begin
    if v_actor is null then
        raise exception 'only workspace operators and the service role submit runs'
        using errcode = '42501',
        detail = pg_catalog.format('The caller''s role is %s.', private.caller_role()),
        hint = 'Sign in as a workspace operator.';
    end if;
    if private.caller_role() = 'authenticated'
        and not private.is_member(submit_run.workspace_id, 'operator') then
        raise exception 'only operators, admins and owners of the workspace submit runs'
        using errcode = '42501',
        detail = 'The caller is not a member of this workspace, or only a viewer.',
        hint = 'Ask a workspace admin for the operator role.';
    end if;

    if (submit_run.spec_name is null) = (submit_run.spec_hash is null) then
        raise exception 'name the spec either by spec_name (and optional spec_version) or by spec_hash'
        using errcode = '22023',
        detail = 'Exactly one of spec_name and spec_hash must be given.',
        hint = 'Pass spec_name (latest version) or spec_name and spec_version, or spec_hash.';
    end if;
    if submit_run.spec_hash is not null and submit_run.spec_version is not null then
        raise exception 'spec_version cannot be combined with spec_hash'
        using errcode = '22023',
        detail = 'A hash names one version already.',
        hint = 'Pass spec_hash alone.';
    end if;
    if pg_catalog.jsonb_typeof(submit_run.params) is distinct from 'object' then
        raise exception 'params must be a JSON object'
        using errcode = '22023',
        detail = pg_catalog.format('Got %s.', coalesce(pg_catalog.jsonb_typeof(submit_run.params), 'null')),
        hint = 'Pass {} for no parameters.';
    end if;
    -- GUARD: params travel to the executor in every claim reply; see docs/caps.md, "Input bounds".
    perform private.assert_json_within(
        'params', submit_run.params, 65536, 32,
        'Pass large or deeply structured inputs by reference: store them in the data plane and put their uri in params.'
    );
    if submit_run.priority is null or submit_run.priority not between -1000 and 1000 then
        raise exception 'priority must be between -1000 and 1000'
        using errcode = '22023',
        detail = pg_catalog.format('Got %s.', coalesce(submit_run.priority::text, 'null')),
        hint = 'Higher runs first; 0 is the default.';
    end if;
    if pg_catalog.char_length(submit_run.idempotency_key) not between 1 and 200 then
        raise exception 'idempotency_key must have 1 to 200 characters'
        using errcode = '22023',
        detail = 'Use a UUID or another client-generated unique string.',
        hint = 'Omit it to submit without idempotency.';
    end if;

    select s.* into v_spec
    from public.pipeline_specs as s
    where s.workspace_id = submit_run.workspace_id
      and (
          (submit_run.spec_hash is not null and s.spec_hash = submit_run.spec_hash)
          or (submit_run.spec_name is not null and s.name = submit_run.spec_name
              and (submit_run.spec_version is null or s.version = submit_run.spec_version))
      )
    -- "Latest": the highest integer version; non-integer versions by publish time.
    order by
        case when s.version ~ '^[0-9]{1,18}$' then s.version::bigint end desc nulls last,
        s.published_at desc,
        s.id desc
    limit 1;
    if not found then
        raise exception 'spec % is not published in workspace %',
            coalesce(submit_run.spec_hash, submit_run.spec_name || coalesce('@' || submit_run.spec_version, '')),
            submit_run.workspace_id
        using errcode = 'PT404',
        detail = 'No published spec version matches.',
        hint = 'Publish the spec with publish_spec first, or check the name, version or hash.';
    end if;

    -- Orchestration caps (docs/caps.md): the workspace's highest priority and queue admission. A
    -- retried submit of a run already queued under its key is answered below, not refused.
    if submit_run.idempotency_key is null or not exists (
        select from public.runs as r
        where r.workspace_id = submit_run.workspace_id and r.idempotency_key = submit_run.idempotency_key
    ) then
        perform private.assert_run_admitted(submit_run.workspace_id, submit_run.priority);
    end if;

    insert into public.runs as r (
        workspace_id, spec_id, params, priority, idempotency_key, pool, required_labels,
        submitted_by, created_at, score, not_before, status_changed_at, status_changed_by,
        status_reason, updated_at
    )
    values (
        submit_run.workspace_id, v_spec.id, submit_run.params, submit_run.priority,
        submit_run.idempotency_key, v_spec.pool, v_spec.required_labels, (select auth.uid()),
        v_as_of, submit_run.priority, v_as_of, v_as_of, v_actor, 'submitted', v_as_of
    )
    on conflict (workspace_id, idempotency_key) where idempotency_key is not null do nothing
    returning r.* into v_run;
    if found then
        return v_run;
    end if;

    -- The key was used before: the same request returns the same run; another one is a conflict.
    select r.* into v_run
    from public.runs as r
    where r.workspace_id = submit_run.workspace_id
      and r.idempotency_key = submit_run.idempotency_key;
    if (v_run.spec_id, v_run.params, v_run.priority)
        is distinct from (v_spec.id, submit_run.params, submit_run.priority) then
        raise exception 'idempotency key % was used for a different request', submit_run.idempotency_key
        using errcode = '23505',
        detail = pg_catalog.format('Run %s was submitted with this key for another spec, params or priority.', v_run.id),
        hint = 'Use a new idempotency key for a new request.';
    end if;
    return v_run;
end
$$;

comment on function public.submit_run(uuid, text, text, text, jsonb, integer, text, timestamptz) is
'Queues a run of a published spec (by name and optional version — the highest integer version if omitted — or by hash). params: a JSON object of at most 64 KiB (PT413) and 32 levels (22023). The same idempotency_key returns the same run; reusing it for a different request is a conflict (23505). Workspace limits: priority above max_priority is refused (22023), a full queue (max_queued_runs) with PT429.';

revoke execute on function public.submit_run(uuid, text, text, text, jsonb, integer, text, timestamptz)
from public, anon, authenticated;
grant execute on function public.submit_run(uuid, text, text, text, jsonb, integer, text, timestamptz)
to authenticated, service_role;

create or replace function private.transition_runs(changes private.run_change [], as_of timestamptz)
returns setof public.runs
language plpgsql
set search_path = ''
-- The runs are found by id (= any(array)); a plan cached while the table was nearly empty must
-- not keep a sequential scan as it grows (see 20261126070100).
set enable_seqscan = off
as $$
declare
    v_ids uuid[] := array(select c.run_id from pg_catalog.unnest(transition_runs.changes) as c);
begin
    -- The runs_after_update trigger checks every edge against private.run_status_edge_allowed and
    -- writes the audit rows, once per statement; entering claimed starts a new attempt.
    return query
    update public.runs as r
    set status = c.to_status,
        attempt_count = r.attempt_count + (c.to_status = 'claimed')::integer,
        first_claimed_at = case
            when c.to_status = 'claimed' then coalesce(r.first_claimed_at, transition_runs.as_of)
            else r.first_claimed_at
        end,
        deadline_at = coalesce(r.deadline_at, c.deadline_at),
        not_before = coalesce(c.not_before, r.not_before),
        finished_at = case when c.to_status = any(private.terminal_run_statuses()) then transition_runs.as_of end,
        status_changed_at = transition_runs.as_of,
        status_changed_by = c.actor,
        status_reason = c.reason,
        updated_at = transition_runs.as_of
    from pg_catalog.unnest(transition_runs.changes) as c
    where r.id = any(v_ids) and r.id = c.run_id
    returning r.*;
end
$$;

comment on function private.transition_runs(private.run_change [], timestamptz) is
'The one way a run''s status changes: moves each run of changes to its to_status in one statement (the trigger checks the edge and audits it) and returns the changed runs. Claimed starts a new attempt (attempt_count + 1, first_claimed_at, deadline_at); a terminal status sets finished_at.';

drop function private.run_score(uuid, text, uuid, integer, timestamptz, timestamptz, integer, timestamptz);
drop function private.score_factors(uuid, text, uuid, integer, timestamptz, timestamptz, integer, timestamptz);
drop function private.pool_score_weights(text);
drop table public.score_refresh_state;
drop table public.spec_duration_estimates;
drop table public.fair_share_usage;
drop table public.score_weights;
alter table public.runs drop column due_by;

comment on column public.runs.score is 'Claim order, higher first. Today equal to priority; the seam for multi-signal scoring.';
