-- Why: a failed run could only be resubmitted by hand with params nobody could see (issue 16).
-- rerun_run submits the same spec version (by hash) with the same params and priority, in a new
-- idempotency scope; repair_run does the same but starts at a phase, reusing the recorded outputs
-- of the phases before it. Both go through private.submit_runs (so caps, admission and params
-- checks hold as for any submit) and record the link in public.run_lineage.

create function private.visible_run(run_id uuid)
returns public.runs
language plpgsql
stable
set search_path = ''
as $$
declare
    v_run public.runs;
begin
    select r.* into v_run from public.runs as r where r.id = visible_run.run_id;
    -- GUARD: a run of another workspace is answered as unknown, so its existence does not leak.
    if not found or (
        private.caller_role() = 'authenticated' and not private.is_member(v_run.workspace_id, 'viewer')
    ) then
        raise exception 'run % not found', visible_run.run_id
        using errcode = 'PT404',
        detail = 'No run with this id is visible to the caller.',
        hint = 'Check the id (`controlroom runs`).';
    end if;
    return v_run;
end
$$;

comment on function private.visible_run(uuid) is
'The run with this id if the caller may see it (a member of its workspace, or the service role); PT404 otherwise.';

create function private.reused_outputs(parent public.runs, phases text[])
returns jsonb
language sql
stable
set search_path = ''
as $$
    -- Per phase: the artifacts of the latest attempt of the parent in which the phase succeeded,
    -- else (the parent was itself a repair) what the parent reused for it.
    with finished as (
        select distinct on (e.phase) e.phase, e.attempt_id
        from public.run_events as e
        inner join public.run_attempts as a on a.id = e.attempt_id
        where e.run_id = (reused_outputs.parent).id and e.type = 'phase.finished'
            and e.payload ->> 'status' = 'succeeded' and e.phase = any(reused_outputs.phases)
        order by e.phase, a.attempt_no desc
    ),
    own as (
        select pg_catalog.jsonb_build_object(
            'phase', x.phase, 'artifact_id', x.id, 'run_id', x.run_id, 'attempt_id', x.attempt_id,
            'name', x.name, 'uri', x.uri, 'sha256', x.sha256, 'size_bytes', x.size_bytes,
            'content_type', x.content_type, 'version_id', x.version_id, 'etag', x.etag
        ) as item, x.phase, x.name
        from finished as f
        inner join public.artifacts as x on x.attempt_id = f.attempt_id and x.phase = f.phase
    ),
    inherited as (
        select r.value as item, r.value ->> 'phase' as phase, r.value ->> 'name' as name
        from public.run_lineage as l
        cross join pg_catalog.jsonb_array_elements(l.reused) as r (value)
        where l.run_id = (reused_outputs.parent).id
            and r.value ->> 'phase' = any(reused_outputs.phases)
            and not exists (select from finished as f where f.phase = r.value ->> 'phase')
    )
    select coalesce(pg_catalog.jsonb_agg(u.item order by u.phase, u.name), '[]'::jsonb)
    from (select o.item, o.phase, o.name from own as o union all select i.item, i.phase, i.name from inherited as i) as u
$$;

comment on function private.reused_outputs(public.runs, text[]) is
'The recorded outputs of the given phases of a run, for a repair to reuse: the artifacts of the latest attempt in which each phase succeeded, or what the run itself reused for it. One JSON object per artifact (run_lineage.reused).';

create function private.resubmit_run(
    parent public.runs, kind text, from_phase text, reused jsonb, idempotency_key text, as_of timestamptz
)
returns public.runs
language plpgsql
set search_path = ''
as $$
#variable_conflict use_column
declare
    v_actor text := private.assert_may_submit((resubmit_run.parent).workspace_id);
    v_item jsonb;
    v_answer record;
    v_run public.runs;
begin
    -- The same spec version (by hash), params and priority; the idempotency key is the caller's own
    -- (a new scope: the parent's key would only answer with the parent).
    v_item := pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object(
        'spec_hash', (select s.spec_hash from public.pipeline_specs as s where s.id = (resubmit_run.parent).spec_id),
        'idempotency_key', resubmit_run.idempotency_key
    )) || pg_catalog.jsonb_build_object(
        'params', (resubmit_run.parent).params, 'priority', (resubmit_run.parent).priority
    );
    perform private.assert_submit_item(v_item, '');
    select a.* into v_answer
    from private.submit_runs((resubmit_run.parent).workspace_id, pg_catalog.jsonb_build_array(v_item),
        resubmit_run.as_of, v_actor) as a;
    if v_answer.outcome = 'rejected' then
        raise exception using
        message = v_answer.message,
        errcode = v_answer.code,
        detail = v_answer.detail,
        hint = v_answer.hint;
    end if;
    insert into public.run_lineage as l (
        run_id, workspace_id, parent_run_id, kind, from_phase, reused, created_at, created_by
    )
    values (
        v_answer.run_id, (resubmit_run.parent).workspace_id, (resubmit_run.parent).id, resubmit_run.kind,
        resubmit_run.from_phase, resubmit_run.reused, resubmit_run.as_of, v_actor
    )
    -- GUARD: a retried call with the same key answers with the run it made (duplicate), once.
    on conflict on constraint run_lineage_pkey do nothing;
    select r.* into v_run from public.runs as r where r.id = v_answer.run_id;
    return v_run;
end
$$;

comment on function private.resubmit_run(public.runs, text, text, jsonb, text, timestamptz) is
'Submits the parent''s spec version, params and priority again through private.submit_runs (caps, admission and params checks as for any submit) and records the lineage row; raises what the submit refused.';

create function public.rerun_run(run_id uuid, idempotency_key text default null, as_of timestamptz default null)
returns public.runs
language plpgsql
security definer
set search_path = ''
as $$
declare
    v_as_of timestamptz := private.clock(rerun_run.as_of);
begin
    return private.resubmit_run(
        private.visible_run(rerun_run.run_id), 'rerun', null, '[]'::jsonb, rerun_run.idempotency_key, v_as_of
    );
end
$$;

comment on function public.rerun_run(uuid, text, timestamptz) is
'Submits a new run of the same spec version (spec hash), params and priority as run_id, linked to it in run_lineage (kind rerun). Operators and above, or the service role. idempotency_key: a new scope of the caller''s own (the same key answers with the same new run). PT404 unknown run; the submit''s own refusals (PT429 full queue, 22023) as submit_run.';

revoke execute on function public.rerun_run(uuid, text, timestamptz) from public, anon, authenticated;
grant execute on function public.rerun_run(uuid, text, timestamptz) to authenticated, service_role;

create function public.repair_run(
    run_id uuid, from_phase text default null, idempotency_key text default null, as_of timestamptz default null
)
returns public.runs
language plpgsql
security definer
set search_path = ''
as $$
declare
    v_as_of timestamptz := private.clock(repair_run.as_of);
    v_parent public.runs := private.visible_run(repair_run.run_id);
    v_phases text[];
    v_from text := repair_run.from_phase;
    v_index integer;
    v_reused jsonb;
    v_missing text;
begin
    if not v_parent.status = any(array['failed', 'timed_out', 'cancelled']) then
        raise exception 'run % is %: only a run that failed, timed out or was cancelled can be repaired',
            v_parent.id, v_parent.status
        using errcode = 'PT409',
        detail = 'A repair re-executes the phases a run did not finish.',
        hint = 'Use rerun_run for a new run of a succeeded (or still active) one.';
    end if;
    select pg_catalog.array_agg(p.value ->> 'name' order by p.n) into v_phases
    from public.pipeline_specs as s
    cross join pg_catalog.jsonb_array_elements(
        case when pg_catalog.jsonb_typeof(s.body -> 'phases') = 'array' then s.body -> 'phases' else '[]' end
    ) with ordinality as p (value, n)
    where s.id = v_parent.spec_id;
    if v_from is null then
        -- The phase the last attempt was in when it ended.
        select e.phase into v_from
        from public.run_events as e
        inner join public.run_attempts as a on a.id = e.attempt_id
        where e.run_id = v_parent.id and e.type = 'phase.started' and e.phase is not null
        order by a.attempt_no desc, e.seq desc
        limit 1;
        if v_from is null then
            raise exception 'run % never started a phase; say where to repair from', v_parent.id
            using errcode = '22023',
            detail = 'Without from_phase, a repair starts at the phase the last attempt ended in.',
            hint = 'Pass from_phase, or use rerun_run.';
        end if;
    end if;
    v_index := pg_catalog.array_position(v_phases, v_from);
    if v_index is null then
        raise exception 'phase % is not a phase of this run''s spec', v_from
        using errcode = '22023',
        detail = pg_catalog.format('Phases: %s.', pg_catalog.array_to_string(v_phases, ', ')),
        hint = 'Pass one of them as from_phase.';
    end if;
    v_reused := private.reused_outputs(v_parent, v_phases[1:v_index - 1]);
    -- GUARD: every phase before from_phase must have finished, or there is nothing to reuse.
    select p.name into v_missing
    from pg_catalog.unnest(v_phases[1:v_index - 1]) with ordinality as p (name, n)
    where not pg_catalog.jsonb_path_exists(v_reused, '$[*] ? (@.phase == $p)', pg_catalog.jsonb_build_object('p', p.name))
    order by p.n
    limit 1;
    if v_missing is not null then
        raise exception 'phase % did not finish in run %, so it cannot be reused', v_missing, v_parent.id
        using errcode = 'PT409',
        detail = 'A repair reuses the recorded outputs (artifacts) of every phase before from_phase.',
        hint = pg_catalog.format('Repair from %s or an earlier phase.', v_missing);
    end if;
    -- GUARD: an output whose object retention deleted (or is deleting) cannot be reused (0622).
    select (r.value ->> 'phase') || '/' || (r.value ->> 'name') into v_missing
    from pg_catalog.jsonb_array_elements(v_reused) as r (value)
    inner join public.artifact_expiry_queue as q on q.artifact_id = (r.value ->> 'artifact_id')::uuid
    where q.status in ('leased', 'expired')
    order by 1
    limit 1;
    if v_missing is not null then
        raise exception 'output % of run % expired under the workspace''s retention policy, so it cannot be reused',
            v_missing, v_parent.id
        using errcode = 'PT409',
        detail = 'A repair reuses the recorded outputs of every phase before from_phase; retention deleted this object from S3 (artifact_expiries).',
        hint = 'Rerun the run (rerun_run), or repair from the phase that produced this output.';
    end if;
    return private.resubmit_run(v_parent, 'repair', v_from, v_reused, repair_run.idempotency_key, v_as_of);
end
$$;

comment on function public.repair_run(uuid, text, text, timestamptz) is
'Submits a run that re-executes a failed, timed-out or cancelled run from from_phase (default: the phase its last attempt ended in), reusing the recorded outputs of the phases before it; the executor checks each reused artifact''s SHA-256 before trusting it. Same spec version, params and priority; linked in run_lineage (kind repair, reused). PT409 when the run succeeded or is active, a phase before from_phase did not finish, or an output to reuse expired (retention); 22023 unknown phase; PT404 unknown run.';

revoke execute on function public.repair_run(uuid, text, text, timestamptz) from public, anon, authenticated;
grant execute on function public.repair_run(uuid, text, text, timestamptz) to authenticated, service_role;
