-- Why: people (and the service role) ask for work and take it back through two RPCs:
-- submit_run (idempotent by key, so a retried HTTP call never runs a pipeline twice) and
-- cancel_run (immediate for queued runs, cooperative for running ones). Both check the caller's
-- workspace role first; viewers read, operators act.

create function public.submit_run(
    workspace_id uuid,
    spec_name text default null,
    spec_version text default null,
    spec_hash text default null,
    params jsonb default '{}'::jsonb,
    priority integer default 0,
    idempotency_key text default null,
    as_of timestamptz default null,
    due_by timestamptz default null
)
returns public.runs
language plpgsql
security definer
set search_path = ''
as $$
#variable_conflict use_column
declare
    v_as_of timestamptz := private.clock(submit_run.as_of);
    v_actor text := private.assert_may_submit(submit_run.workspace_id);
    v_item jsonb;
    v_answer record;
    v_run public.runs;
begin
    -- A batch of one over the set-based path (private.submit_runs): every rule is written once.
    v_item := pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object(
        'spec_name', submit_run.spec_name,
        'spec_version', submit_run.spec_version,
        'spec_hash', submit_run.spec_hash,
        'idempotency_key', submit_run.idempotency_key,
        'due_by', submit_run.due_by
    )) || pg_catalog.jsonb_build_object(
        'params', coalesce(submit_run.params, 'null'::jsonb),
        'priority', coalesce(pg_catalog.to_jsonb(submit_run.priority), 'null'::jsonb)
    );
    perform private.assert_submit_item(v_item, '');
    select a.* into v_answer
    from private.submit_runs(submit_run.workspace_id, pg_catalog.jsonb_build_array(v_item), v_as_of, v_actor) as a;
    if v_answer.outcome = 'rejected' then
        raise exception using
        message = v_answer.message,
        errcode = v_answer.code,
        detail = v_answer.detail,
        hint = v_answer.hint;
    end if;
    select r.* into v_run from public.runs as r where r.id = v_answer.run_id;
    return v_run;
end
$$;

comment on function public.submit_run(uuid, text, text, text, jsonb, integer, text, timestamptz, timestamptz) is
'Queues a run of a published spec (by name and optional version — the highest integer version if omitted — or by hash); a batch of one over private.submit_runs. params: a JSON object of at most 64 KiB (PT413) and 32 levels (22023), checked against the spec''s params schema with the CLI''s messages (22023) and stored with its defaults filled in. The same idempotency_key returns the same run; reusing it for a different request is a conflict (23505). due_by (optional) feeds the deadline factor of the score, stored at submit (private.run_score). Workspace limits: priority above max_priority is refused (22023), a full queue (max_queued_runs) with PT429.';

revoke execute on function public.submit_run(uuid, text, text, text, jsonb, integer, text, timestamptz, timestamptz)
from public, anon, authenticated;
grant execute on function public.submit_run(uuid, text, text, text, jsonb, integer, text, timestamptz, timestamptz)
to authenticated, service_role;
