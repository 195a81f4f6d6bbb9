"""Orbital mechanics for Conjunction's space content: plain functions on plain data, no Django.

- elements:     mean elements (the CCSDS OMM fields), TLE parsing, SGP4 records, fitting
                mean elements to a state vector (after a burn, for a fragment)
- propagation:  positions and velocities of many objects at many times (sgp4's SatrecArray),
                TEME to Earth-fixed and geodetic for plots
- screening:    close approaches between objects over a window, coarse filter then refinement
- collision:    probability of collision from covariance (Foster's 2-D method)
- breakup:      the NASA standard breakup model (fragment sizes, area-to-mass, delta-v)
- manoeuvre:    an impulsive burn in radial / in-track / cross-track
- messages:     CCSDS CDM and OMM (KVN and XML), written and read with ccsds-ndm

Services call this package; views and consumers never do.
"""
