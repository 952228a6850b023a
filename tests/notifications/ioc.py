"""A caproto IOC for the EPICS notification tests: one integer PV, <prefix>ALARM (0 clear, 1 minor, 2 major)."""

from caproto.server import PVGroup, ioc_arg_parser, pvproperty, run


class AlarmIOC(PVGroup):
    alarm = pvproperty(value=0, name="ALARM", doc="Hydra alarm severity")


if __name__ == "__main__":
    options, run_options = ioc_arg_parser(default_prefix="HYDRA:TEST:", desc="Hydra test IOC")
    run(AlarmIOC(**options).pvdb, **run_options)
