-- Rollback of 20261130400300_add_run_waits_view: the view is dropped.

set lock_timeout = '5s';
set statement_timeout = '60s';

drop view public.run_waits;
