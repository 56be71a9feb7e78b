import math
import numpy as np

OMEGA = 10.5            # gait angular frequency (rad/s), period ~0.6 s
DT = 0.05               # control period
LEAD = 0.5 * OMEGA * DT # phase lead compensating the zero-order hold
AMP = 0.38              # hip stroke amplitude (rad)
M0 = 0.9                # stance ankle "foot-down" angle (rad)
LIFT = 0.32             # swing lift of the ankle (rad)
M_MIN = 0.56
M_MAX = 1.18
KP_HIP = 1.0
KD_HIP = 0.1
KP_ANK = 1.2
KD_ANK = 0.1
INERTIA = 1.05          # armature + link inertia (kg m^2)
DAMP_COMP = 2.0         # joint damping compensation (N m s)
GEAR = 150.0
ERR_CLIP = 0.3
YAW_GAIN = 1.5
YAW_RATE_GAIN = 0.15
YAW_ERR_CLIP = 0.2
TILT_GAIN = 0.5
TILT_CLIP = 0.2

HIP_SIGN = (1.0, 1.0, -1.0, -1.0)    # + hip -> foot backward (legs 1..4)
ANK_SIGN = (1.0, -1.0, -1.0, 1.0)    # + -> foot down
PAIR = (1.0, -1.0, 1.0, -1.0)        # diagonal pair A = {1,3}, B = {2,4}
SIDE = (1.0, 1.0, -1.0, -1.0)        # left legs +1
FRONT = (1.0, -1.0, -1.0, 1.0)       # front legs +1
HIP_OBS = (5, 7, 9, 11)
ANK_OBS = (6, 8, 10, 12)
HIP_VEL = (19, 21, 23, 25)
ANK_VEL = (20, 22, 24, 26)
HIP_ACT = (2, 4, 6, 0)
ANK_ACT = (3, 5, 7, 1)


def clamp(x, lo, hi):
    if x < lo:
        return lo
    if x > hi:
        return hi
    return x


def policy(obs):
    o = np.nan_to_num(np.asarray(obs, dtype=np.float64))
    qw = float(o[1])
    qx = float(o[2])
    qy = float(o[3])
    qz = float(o[4])
    roll = math.atan2(2.0 * (qw * qx + qy * qz), 1.0 - 2.0 * (qx * qx + qy * qy))
    pitch = math.asin(clamp(2.0 * (qw * qy - qz * qx), -1.0, 1.0))
    yaw = math.atan2(2.0 * (qw * qz + qx * qy), 1.0 - 2.0 * (qy * qy + qz * qz))
    yaw_err = clamp(yaw + YAW_RATE_GAIN * float(o[18]), -YAW_ERR_CLIP, YAW_ERR_CLIP)

    b = [HIP_SIGN[k] * float(o[HIP_OBS[k]]) for k in range(4)]
    bd = [HIP_SIGN[k] * float(o[HIP_VEL[k]]) for k in range(4)]
    w = 0.0
    wd = 0.0
    for k in range(4):
        w += PAIR[k] * b[k]
        wd += PAIR[k] * bd[k]
    w *= 0.25
    wd *= 0.25

    theta = math.atan2(-wd / OMEGA, w)
    cth = math.cos(theta)
    sth = math.sin(theta)
    thf = theta + LEAD
    cf = math.cos(thf)
    sf = math.sin(thf)
    sa = sf
    ca = cf
    s2a = math.sin(2.0 * thf)
    c2a = math.cos(2.0 * thf)

    act = np.zeros(8)
    for k in range(4):
        p = PAIR[k]
        # ---- hip: limit-cycle tracking ----
        factor = clamp(1.0 + YAW_GAIN * SIDE[k] * yaw_err, 0.75, 1.25)
        amp = AMP * factor
        b_ref = p * amp * cth
        bd_ref = -p * amp * OMEGA * sth
        b_acc_ff = -p * amp * OMEGA * OMEGA * cf
        b_vel_ff = -p * amp * OMEGA * sf
        tau_b = (KP_HIP * clamp(b_ref - b[k], -ERR_CLIP, ERR_CLIP)
                 + KD_HIP * (bd_ref - bd[k])
                 + (INERTIA * b_acc_ff + DAMP_COMP * b_vel_ff) / GEAR)
        act[HIP_ACT[k]] = HIP_SIGN[k] * tau_b

        # ---- ankle: lift during swing, hold during stance ----
        sp = p * sa
        if sp > 0.0:
            lift = LIFT * sa * sa
            lift_d = LIFT * OMEGA * s2a
            lift_dd = 2.0 * LIFT * OMEGA * OMEGA * c2a
        else:
            lift = 0.0
            lift_d = 0.0
            lift_dd = 0.0
        tilt = clamp(TILT_GAIN * (FRONT[k] * pitch - SIDE[k] * roll), -TILT_CLIP, TILT_CLIP)
        m_ref = clamp(M0 - lift + tilt, M_MIN, M_MAX)
        md_ref = -lift_d
        mdd_ref = -lift_dd
        m = ANK_SIGN[k] * float(o[ANK_OBS[k]])
        md = ANK_SIGN[k] * float(o[ANK_VEL[k]])
        tau_m = (KP_ANK * clamp(m_ref - m, -ERR_CLIP, ERR_CLIP)
                 + KD_ANK * (md_ref - md)
                 + (INERTIA * mdd_ref + 1.0 * md_ref) / GEAR)
        act[ANK_ACT[k]] = ANK_SIGN[k] * tau_m

    act = np.nan_to_num(act)
    return np.clip(act, -1.0, 1.0)
