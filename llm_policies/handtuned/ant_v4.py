"""Hand-written prior controller for Gymnasium MuJoCo ``Ant-v4``.

Provenance: written by hand by a camel-gym developer as a PD / heuristic
controller, working only from the Gymnasium documentation (ant_v4.py / ant_v5.py
docstrings) and the MuJoCo model file (assets/ant.xml).  It was NOT generated
by an LLM; it stands in for the LLM-written prior of CAMEL (arXiv 2502.11896)
and has the same form the LLM pipeline produces: a stateless module-level
``policy(obs) -> action`` using only numpy/math.

Control idea (a feedback-driven trot, no clock):
  * Legs 1..4 sit on the torso diagonals (+x+y, -x+y, -x-y, +x-y).  For each leg
    a hip sign maps the hinge angle to "foot swept backward" and an ankle sign
    maps the knee angle to "foot pressed down" (derived from the joint axes in
    the XML; ankle limits are +-30..70 deg).
  * Diagonal pairs (1,3) and (2,4) move in antiphase.  The gait phase is read
    from the observation: the pair-difference of the hip angles and of the hip
    velocities span a phase plane, so phi = atan2(-v/omega, x).
  * Every joint gets a PD target taken from a phase a little AHEAD of the
    observed one (lead ``PHASE_LEAD``); chasing that target keeps the hips
    going round a limit cycle of amplitude ``HIP_AMP``.  The ankles press the
    stance pair down and lift the swing pair with the sin of the same phase,
    so feet sweep back on the ground and return in the air -> forward walk.
  * Observation order of the hinges is legs 1,2,3,4; actuator order in the
    XML is legs 4,1,2,3, so everything below is laid out in actuator order.

Tuning: the constants come from a small random search, not by hand:
250 random parameter sets (uniform over wide ranges) scored on 300-step
episodes with seeds 100-102, then two rounds of 150 Gaussian perturbations
around the best set scored on 600-step episodes with seeds 100-102; the few
best were re-checked on full 1000-step episodes with seeds 100-109 and the
most robust one kept (values rounded to 3 decimals).  The search also had a
yaw-feedback gain; its best value was ~0.002, so that term was dropped (same
results on seeds 100-109).  Seeds 0-9 were not used for tuning.
"""
import math

import numpy as np

# Observation indices of hip / ankle angles in actuator order (legs 4,1,2,3);
# the matching joint velocities are 14 entries later.
HIP_IDX = np.array([11, 5, 7, 9])
ANK_IDX = np.array([12, 6, 8, 10])
HIP_VEL_IDX = HIP_IDX + 14
ANK_VEL_IDX = ANK_IDX + 14

# +1 where a positive hip angle sweeps the foot backward (-x) (legs 4,1,2,3).
HIP_SIGN = np.array([-1.0, 1.0, 1.0, -1.0])
# +1 where a positive ankle angle presses the foot down (legs 4,1,2,3).
ANK_SIGN = np.array([1.0, 1.0, -1.0, -1.0])
# Trot pairing: legs 1 and 3 versus legs 2 and 4.
PAIR = np.array([-1.0, 1.0, -1.0, 1.0])
HIP_PAIR = HIP_SIGN * PAIR
ANK_PAIR = ANK_SIGN * PAIR

HIP_AMP = 0.371      # hip swing amplitude (rad, limit is 0.52)
HIP_BIAS = 0.047     # small backward bias of the mean hip angle (rad)
ANK_MID = 1.092      # mean ankle bend (rad): keeps the torso up
ANK_LIFT = 0.118     # ankle modulation: press stance feet, lift swing feet
PHASE_LEAD = 0.215   # phase lead of the targets (rad): drives the cycle
OMEGA = 6.798        # velocity scale of the phase plane (rad/s)
KP_HIP = 3.492
KD_HIP = 0.104
KP_ANK = 2.704
KD_ANK = 0.112

COS_LEAD = math.cos(PHASE_LEAD)
SIN_LEAD = math.sin(PHASE_LEAD)
HIP_BIAS_VEC = HIP_SIGN * HIP_BIAS
ANK_MID_VEC = ANK_SIGN * ANK_MID
HIP_AMP_VEC = HIP_PAIR * HIP_AMP
ANK_LIFT_VEC = ANK_PAIR * ANK_LIFT


def policy(obs):
    obs = np.asarray(obs, dtype=np.float64)
    qh = obs[HIP_IDX]
    qa = obs[ANK_IDX]
    vh = obs[HIP_VEL_IDX]
    va = obs[ANK_VEL_IDX]

    # Gait phase from the antiphase hip motion of the two diagonal pairs.
    x = 0.5 * float(np.dot(HIP_PAIR, qh))
    y = -0.5 * float(np.dot(HIP_PAIR, vh)) / OMEGA
    n = math.sqrt(x * x + y * y) + 1e-6
    c0 = x / n
    s0 = y / n
    # Look slightly ahead in phase so the PD pull keeps the cycle turning.
    c = c0 * COS_LEAD - s0 * SIN_LEAD
    s = s0 * COS_LEAD + c0 * SIN_LEAD

    hip_target = HIP_BIAS_VEC + HIP_AMP_VEC * c
    ank_target = ANK_MID_VEC - ANK_LIFT_VEC * s

    hip_cmd = KP_HIP * (hip_target - qh) - KD_HIP * vh
    ank_cmd = KP_ANK * (ank_target - qa) - KD_ANK * va
    # Interleave to actuator layout (hip, ankle) x legs 4,1,2,3.
    action = np.array([hip_cmd, ank_cmd]).T.reshape(8)
    return np.clip(action, -1.0, 1.0)
