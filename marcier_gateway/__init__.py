"""The device side: the vehicle gateway (CAN bus → MQTT, commands back),
its disk spool and the fleet simulator.  No trytond: it runs on a gateway
box from its own entry point, `marcier-gateway` (see README, "IoT")."""
