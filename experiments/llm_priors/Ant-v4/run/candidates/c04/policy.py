import math
import numpy as np

OMEGA = 10.0
LEAD = 0.25
GEAR = 150.0
JOINT_DAMPING = 1.0

HIP_AMP = 0.42
HIP_LIMIT = 0.50
KP_HIP = 1.0
KD_HIP = 0.12

ANK_MID = 0.856
ANK_AMP = 0.29
ANK_SHARP = 1.5
ANK_BIAS = 0.3
ANK_MIN = 0.56
ANK_MAX = 1.19
KP_ANK = 1.0
KD_ANK = 0.12

TILT_GAIN = 1.0
TILT_RATE_GAIN = 0.05
TILT_CLIP = 0.15
YAW_GAIN = 1.0
YAW_CLIP = 0.15

HIP_FWD = (-1.0, -1.0, 1.0, 1.0)
PAIR = (1.0, -1.0, 1.0, -1.0)
ANK_DOWN = (1.0, -1.0, -1.0, 1.0)
SIDE = (1.0, 1.0, -1.0, -1.0)
LEG_DX = (0.70710678, -0.70710678, -0.70710678, 0.70710678)
LEG_DY = (0.70710678, 0.70710678, -0.70710678, -0.70710678)
ACT_HIP = (2, 4, 6, 0)
ACT_ANK = (3, 5, 7, 1)


def clamp(v, lo, hi):
    return lo if v < lo else (hi if v > hi else v)


def policy(obs):
    o = np.asarray(obs, dtype=np.float64)
    w, x, y, z = float(o[1]), float(o[2]), float(o[3]), float(o[4])
    n = math.sqrt(w * w + x * x + y * y + z * z)
    if n > 1e-9:
        w, x, y, z = w / n, x / n, y / n, z / n
    r20 = 2.0 * (x * z - w * y)
    r21 = 2.0 * (y * z + w * x)
    yaw = math.atan2(2.0 * (w * z + x * y), 1.0 - 2.0 * (y * y + z * z))
    wx = float(o[16])
    wy = float(o[17])

    q = 0.0
    dq = 0.0
    for i in range(4):
        c = HIP_FWD[i] * PAIR[i]
        q += c * float(o[5 + 2 * i])
        dq += c * float(o[19 + 2 * i])
    q *= 0.25
    dq *= 0.25
    phi = math.atan2(-dq / OMEGA, q)
    psi = phi + LEAD
    cp = math.cos(psi)
    sp = math.sin(psi)

    turn = clamp(YAW_GAIN * yaw, -YAW_CLIP, YAW_CLIP)

    act = [0.0] * 8
    for i in range(4):
        # ---- hip ----
        c = HIP_FWD[i] * PAIR[i]
        amp = HIP_AMP * (1.0 + SIDE[i] * turn)
        th_t = clamp(c * amp * cp, -HIP_LIMIT, HIP_LIMIT)
        thd_t = -c * amp * OMEGA * sp
        thdd_t = -c * amp * OMEGA * OMEGA * cp
        th = float(o[5 + 2 * i])
        thd = float(o[19 + 2 * i])
        u_hip = (KP_HIP * (th_t - th) + KD_HIP * (thd_t - thd)
                 + (thdd_t + JOINT_DAMPING * thd_t) / GEAR)

        # ---- ankle (extension e: larger = foot lower) ----
        p = PAIR[i]
        arg = ANK_SHARP * (p * sp + ANK_BIAS)
        tt = math.tanh(arg)
        sech2 = 1.0 - tt * tt
        e_t = ANK_MID + ANK_AMP * tt
        de = ANK_AMP * ANK_SHARP * sech2 * p * cp
        dde = ANK_AMP * ANK_SHARP * sech2 * (-2.0 * ANK_SHARP * tt * cp * cp - p * sp)
        ed_t = OMEGA * de
        edd_t = OMEGA * OMEGA * dde

        # torso leveling: extend legs whose corner is low / falling
        hk = r20 * LEG_DX[i] + r21 * LEG_DY[i]
        hdot = wx * LEG_DY[i] - wy * LEG_DX[i]
        corr = clamp(-TILT_GAIN * hk - TILT_RATE_GAIN * hdot, -TILT_CLIP, TILT_CLIP)
        e_t = clamp(e_t + corr, ANK_MIN, ANK_MAX)

        sgn = ANK_DOWN[i]
        an_t = sgn * e_t
        and_t = sgn * ed_t
        andd_t = sgn * edd_t
        an = float(o[6 + 2 * i])
        andv = float(o[20 + 2 * i])
        u_ank = (KP_ANK * (an_t - an) + KD_ANK * (and_t - andv)
                 + (andd_t + JOINT_DAMPING * and_t) / GEAR)

        act[ACT_HIP[i]] = clamp(u_hip, -1.0, 1.0)
        act[ACT_ANK[i]] = clamp(u_ank, -1.0, 1.0)

    return np.clip(np.array(act, dtype=np.float64), -1.0, 1.0)
