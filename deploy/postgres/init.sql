-- One database per service (and one for staff accounts), created at the first start.
CREATE DATABASE enrolment;
CREATE DATABASE attendance;
CREATE DATABASE billing;
CREATE DATABASE notify;
CREATE DATABASE reporting;
CREATE DATABASE accounts;
