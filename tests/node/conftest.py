def pytest_configure(config):
    # 'slow': runs in CI, but waits out a 30 s outage; -m 'not slow'
    # leaves it out of a quick run
    config.addinivalue_line(
        'markers', 'slow: long in wall time (mostly waiting), not in CPU')
