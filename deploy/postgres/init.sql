-- One database per stateful service: no service reads another's tables.
CREATE DATABASE change_detector;
CREATE DATABASE scim_writer;
CREATE DATABASE notifier;
