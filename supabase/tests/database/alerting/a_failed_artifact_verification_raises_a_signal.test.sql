begin;
select plan(2);

-- SETUP
select tests.seed();
select * from tests.registered_artifact() \gset
select tests.reset_role();
select public.record_artifact_verification(:'artifact_id', false, null, null);

-- TEST: a missing artifact raises artifact_verification_failed, fingerprinted by the artifact
select is(
    (select alert_signals.fingerprint from public.alert_signals where alert_signals.run_id = :'run_id' and alert_signals.signal_type = 'artifact_verification_failed'),
    'artifact_verification_failed:artifact:' || :'artifact_id', 'a failed verification raises a signal for the artifact'
);

-- TEST: a verification that matches raises nothing
select public.record_artifact_verification(:'artifact_id', true, repeat('a', 64), 100);
select is((select count(*)::integer from public.alert_signals where alert_signals.run_id = :'run_id'), 1,
    'a verification that matches raises no signal');

select * from finish();
rollback;
