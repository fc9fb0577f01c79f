"""``gptkit test``: conversation tests of assistants, replayed offline from one cassette per case.

- :mod:`~gptkit.testrun.suite` reads a ``*.test.yaml`` file into a :class:`~gptkit.testrun.suite.Suite`;
- :mod:`~gptkit.testrun.runner` runs its cases in process (one :class:`gptkit.Session` each),
  replaying (the default), recording or live;
- :mod:`~gptkit.testrun.expect` checks each turn's answer, :mod:`~gptkit.testrun.mocks` puts the
  file's tool mocks in, :mod:`~gptkit.testrun.replay` explains a cassette that no longer fits
  with a diff of the request;
- :mod:`~gptkit.testrun.report` writes the results as text, JUnit XML, GitHub annotations or
  JSON; :mod:`~gptkit.testrun.plugin` is the pytest plugin.
"""
