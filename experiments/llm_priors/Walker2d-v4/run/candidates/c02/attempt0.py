import math
import numpy as np

# ---------------- geometry (m) ----------------
THIGH_LEN = 0.45
SHIN_LEN = 0.50
FOOT_LEN = 0.20
FOOT_RAD = 0.06
HIP_BELOW_TORSO = 0.20

# ---------------- torso ----------------
PHI_DES = -0.45          # lean back: hip range [-150,0] deg needs it to reach forward
KP_TORSO = 2.0
KD_TORSO = 0.12

# ---------------- swing placement ----------------
STEP_BASE = 0.12
STEP_VEL_GAIN = 0.22
STEP_MIN = -0.20
STEP_MAX = 0.42
HIP_CAP = -0.02          # never command the hip into its 0 limit
KP_SWING_HIP = 3.0
KD_SWING_HIP = 0.30
SWING_HIP_MAX = 0.7
GRAV_COMP = 0.45

# ---------------- knees ----------------
KNEE_BENT = -1.2
KNEE_STRAIGHT = -0.05
KNEE_LOCK = 0.10         # stance knee pressed against its 0 limit
KP_KNEE = 2.5
KD_KNEE = 0.20
EXTEND_START = 0.12
EXTEND_SPAN = 0.10
STANCE_EXTEND_START = 0.25
STANCE_EXTEND_SPAN = 0.15

# ---------------- ankles ----------------
SWING_FOOT_PITCH = 0.10
ANKLE_TARGET_MAX = 0.70
KP_ANKLE_SWING = 0.4
KD_ANKLE_SWING = 0.02
KP_ANKLE_STANCE = 0.5
KD_ANKLE_STANCE = 0.03

# ---------------- speed ----------------
SPEED_TARGET = 1.2
SPEED_GAIN = 0.5
PUSH_MAX = 0.10
BRAKE_MAX = 0.50

STANCE_BIAS = 0.04


def clip(x, lo, hi):
    if x < lo:
        return lo
    if x > hi:
        return hi
    return x


def leg_state(hip_z, phi, dphi, q, dq):
    """World segment angles, ankle x (rel. hip), lowest foot point z."""
    t1 = q[0] - phi
    t2 = t1 + q[1]
    t3 = t2 + q[2]
    ankle_x = THIGH_LEN * math.sin(t1) + SHIN_LEN * math.sin(t2)
    ankle_z = hip_z - THIGH_LEN * math.cos(t1) - SHIN_LEN * math.cos(t2)
    toe_z = ankle_z + FOOT_LEN * math.sin(t3)
    low = min(ankle_z, toe_z) - FOOT_RAD
    w1 = dq[0] - dphi
    w3 = w1 + dq[1] + dq[2]
    return (ankle_x, low, t1, t2, t3, w1, w3)


def policy(obs):
    o = np.nan_to_num(np.asarray(obs, dtype=np.float64).reshape(-1))
    z = float(o[0])
    phi = float(o[1])
    vx = float(o[8])
    dphi = float(o[10])
    qr = (float(o[2]), float(o[3]), float(o[4]))
    ql = (float(o[5]), float(o[6]), float(o[7]))
    dqr = (float(o[11]), float(o[12]), float(o[13]))
    dql = (float(o[14]), float(o[15]), float(o[16]))

    cphi = math.cos(phi)
    hip_z = z - HIP_BELOW_TORSO * cphi
    v = vx - HIP_BELOW_TORSO * cphi * dphi      # forward speed of the hip

    right = leg_state(hip_z, phi, dphi, qr, dqr)
    left = leg_state(hip_z, phi, dphi, ql, dql)

    # stance = lower foot, front foot favoured in double support
    bias = STANCE_BIAS * clip((v + 0.1) / 0.2, -1.0, 1.0)
    right_is_stance = (right[1] - bias * right[0]) <= (left[1] - bias * left[0])
    if right_is_stance:
        st, sw, q_st, dq_st, q_sw, dq_sw = right, left, qr, dqr, ql, dql
    else:
        st, sw, q_st, dq_st, q_sw, dq_sw = left, right, ql, dql, qr, dqr

    # ---------- swing leg ----------
    theta_d = clip(STEP_BASE + STEP_VEL_GAIN * v, STEP_MIN, STEP_MAX)
    theta_reach = min(theta_d, HIP_CAP - phi)
    hip_sw = (KP_SWING_HIP * (theta_reach - sw[2]) - KD_SWING_HIP * sw[5]
              + GRAV_COMP * math.sin(sw[2]))
    hip_sw = clip(hip_sw, -SWING_HIP_MAX, SWING_HIP_MAX)

    s1 = clip((sw[2] - theta_reach + EXTEND_START) / EXTEND_SPAN, 0.0, 1.0)
    s2 = clip((-st[2] - STANCE_EXTEND_START) / STANCE_EXTEND_SPAN, 0.0, 1.0)
    prog = max(s1, s2)
    knee_d = KNEE_BENT + (KNEE_STRAIGHT - KNEE_BENT) * prog
    knee_sw = KP_KNEE * (knee_d - q_sw[1]) - KD_KNEE * dq_sw[1]

    ankle_d = clip(SWING_FOOT_PITCH - sw[3], -ANKLE_TARGET_MAX, ANKLE_TARGET_MAX)
    ankle_sw = KP_ANKLE_SWING * (ankle_d - q_sw[2]) - KD_ANKLE_SWING * dq_sw[2]

    # ---------- stance leg ----------
    torso = KP_TORSO * (PHI_DES - phi) - KD_TORSO * dphi
    hip_st = torso - hip_sw
    knee_st = KP_KNEE * (KNEE_LOCK - q_st[1]) - KD_KNEE * dq_st[1]
    speed = clip(SPEED_GAIN * (SPEED_TARGET - v), -BRAKE_MAX, PUSH_MAX)
    ankle_st = -KP_ANKLE_STANCE * st[4] - KD_ANKLE_STANCE * st[6] + speed

    if right_is_stance:
        act = [hip_st, knee_st, ankle_st, hip_sw, knee_sw, ankle_sw]
    else:
        act = [hip_sw, knee_sw, ankle_sw, hip_st, knee_st, ankle_st]
    return np.clip(np.array(act, dtype=np.float64), -1.0, 1.0)
