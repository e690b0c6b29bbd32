// Integration suites start moto_server and talk to it: allow their hooks and tests a minute.
jest.setTimeout(60_000);
