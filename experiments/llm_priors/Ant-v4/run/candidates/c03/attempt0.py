import math
import numpy as np

HIP_SIGN = (-1.0, -1.0, 1.0, 1.0)      # p = HIP_SIGN * hip  (foot forward displacement)
ANKLE_SIGN = (1.0, -1.0, -1.0, 1.0)    # d = ANKLE_SIGN * ankle (foot "down-ness")
PAIR_SIGN = (1.0, -1.0, 1.0, -1.0)     # diagonal pairs: A = legs 1,3 ; B = legs 2,4
CORNER_X = (0.45, -0.45, -0.45, 0.45)
CORNER_Y = (0.45, 0.45, -0.45, -0.45)
HIP_OBS = (5, 7, 9, 11)
ANKLE_OBS = (6, 8, 10, 12)
VEL_SHIFT = 14
HIP_ACT = (2, 4, 6, 0)
ANKLE_ACT = (3, 5, 7, 1)

AMP = 0.28            # stroke reversal threshold (rad)
VDES = 3.0            # hip stroke speed (rad/s)
KP_SYNC = 0.5         # formation (synchronisation) gain
KV = 0.1              # hip velocity servo gain
LOWER_MARGIN = 0.1    # start lowering swing foot this far before the front end

D_STANCE = 0.95
D_SWING = 0.55
D_MIN = 0.55
D_MAX = 1.2
KA = 1.0
KAD = 0.1

KT = 2.5              # leveling gain (rad per m of corner height error)
KTD = 0.15            # leveling rate gain

KY = 0.8              # heading gain
KYD = 0.25            # yaw-rate damping
GAMMA_MAX = 0.2

ACT_MAX = 1.0


def clip_value(v, lo, hi):
    if v < lo:
        return lo
    if v > hi:
        return hi
    return v


def policy(obs):
    o = np.nan_to_num(np.asarray(obs, dtype=np.float64).ravel())

    qw = float(o[1])
    qx = float(o[2])
    qy = float(o[3])
    qz = float(o[4])
    norm = math.sqrt(qw * qw + qx * qx + qy * qy + qz * qz)
    if norm < 1e-8:
        qw, qx, qy, qz = 1.0, 0.0, 0.0, 0.0
    else:
        qw, qx, qy, qz = qw / norm, qx / norm, qy / norm, qz / norm

    # world "up" direction expressed in the torso frame (x, y components)
    up_x = 2.0 * (qx * qz - qw * qy)
    up_y = 2.0 * (qy * qz + qw * qx)
    wx = float(o[16])
    wy = float(o[17])
    wz = float(o[18])

    # heading correction via stride modulation
    yaw = math.atan2(2.0 * (qw * qz + qx * qy), 1.0 - 2.0 * (qy * qy + qz * qz))
    gamma = clip_value(-KY * (yaw + KYD * wz), -GAMMA_MAX, GAMMA_MAX)

    # foot forward positions / velocities
    p = [HIP_SIGN[i] * float(o[HIP_OBS[i]]) for i in range(4)]
    pd = [HIP_SIGN[i] * float(o[HIP_OBS[i] + VEL_SHIFT]) for i in range(4)]

    phase_pos = 0.25 * sum(PAIR_SIGN[i] * p[i] for i in range(4))
    phase_vel = 0.25 * sum(PAIR_SIGN[i] * pd[i] for i in range(4))

    # hysteresis oscillator: velocity sign is the memory
    if phase_pos > AMP:
        direction = -1.0
    elif phase_pos < -AMP:
        direction = 1.0
    elif phase_vel >= 0.0:
        direction = 1.0
    else:
        direction = -1.0

    action = [0.0] * 8
    for i in range(4):
        # ---- hip: velocity servo + formation keeping ----
        scale = 1.0 + HIP_SIGN[i] * gamma
        p_des = PAIR_SIGN[i] * phase_pos * scale
        v_des = PAIR_SIGN[i] * direction * VDES * scale
        tau_p = KP_SYNC * (p_des - p[i]) + KV * (v_des - pd[i])
        action[HIP_ACT[i]] = HIP_SIGN[i] * tau_p

        # ---- ankle: lift in swing, press in stance, level the torso ----
        moving = PAIR_SIGN[i] * direction
        pos = PAIR_SIGN[i] * phase_pos
        lifted = (moving > 0.0) and (pos < AMP - LOWER_MARGIN)
        d_base = D_SWING if lifted else D_STANCE

        corner_dz = CORNER_X[i] * up_x + CORNER_Y[i] * up_y
        corner_dz_rate = -CORNER_X[i] * wy + CORNER_Y[i] * wx
        d_des = clip_value(d_base - KT * corner_dz - KTD * corner_dz_rate, D_MIN, D_MAX)

        d = ANKLE_SIGN[i] * float(o[ANKLE_OBS[i]])
        dd = ANKLE_SIGN[i] * float(o[ANKLE_OBS[i] + VEL_SHIFT])
        tau_d = KA * (d_des - d) - KAD * dd
        action[ANKLE_ACT[i]] = ANKLE_SIGN[i] * tau_d

    return [float(clip_value(a, -ACT_MAX, ACT_MAX)) for a in action]
