import math
import numpy as np

# gait / dynamics constants
OMEGA = 12.0            # gait angular frequency (rad/s), ~1.9 Hz
HALF_DT = 0.025         # half control step, compensates zero-order hold
HIP_AMP = 0.38          # hip stride amplitude (rad), limit is 0.52
INERTIA = 1.05          # armature (1) + link inertia
JOINT_DAMPING = 1.0
GEAR = 150.0
HIP_KP = 0.5
HIP_KD = 0.06
ANKLE_KP = 0.6
ANKLE_KD = 0.05
EXT_STANCE = 0.95       # ankle extension in stance (rad)
EXT_LIFT = 0.30         # extra flexion at mid-swing (rad)
ANKLE_LEAD = 0.15       # ankle phase lead (rad)
EXT_MIN = 0.58
EXT_MAX = 1.17
TILT_KP = 1.0
TILT_KD = 0.05
TILT_CLIP = 0.2
YAW_GAIN = 0.8
YAW_CLIP = 0.2

# per leg (legs 1..4)
HIP_OBS = (5, 7, 9, 11)
ANKLE_OBS = (6, 8, 10, 12)
HIP_VEL = (19, 21, 23, 25)
ANKLE_VEL = (20, 22, 24, 26)
HIP_ACT = (2, 4, 6, 0)
ANKLE_ACT = (3, 5, 7, 1)
BACK_SIGN = (1.0, 1.0, -1.0, -1.0)   # hip sign that moves the foot backward
DOWN_SIGN = (1.0, -1.0, -1.0, 1.0)   # ankle sign that pushes the foot down
PAIR_SIGN = (1.0, -1.0, 1.0, -1.0)   # diagonal pairs {1,3} and {2,4}
SIDE_SIGN = (1.0, 1.0, -1.0, -1.0)   # +1 = left side
FOOT_X = (1.0, -1.0, -1.0, 1.0)
FOOT_Y = (1.0, 1.0, -1.0, -1.0)


def clamp(x, lo, hi):
    if x < lo:
        return lo
    if x > hi:
        return hi
    return x


def policy(obs):
    o = np.nan_to_num(np.asarray(obs, dtype=np.float64).ravel())

    # torso orientation
    w = float(o[1]); qx = float(o[2]); qy = float(o[3]); qz = float(o[4])
    norm = math.sqrt(w * w + qx * qx + qy * qy + qz * qz)
    if norm > 1e-9:
        w = w / norm; qx = qx / norm; qy = qy / norm; qz = qz / norm
    else:
        w = 1.0; qx = 0.0; qy = 0.0; qz = 0.0
    yaw = math.atan2(2.0 * (w * qz + qx * qy), 1.0 - 2.0 * (qy * qy + qz * qz))
    up_x = 2.0 * (qx * qz - w * qy)   # world-up in body frame (x): <0 nose down
    up_y = 2.0 * (qy * qz + w * qx)   # world-up in body frame (y): <0 left low
    rate_x = float(o[16])
    rate_y = float(o[17])

    steer = clamp(YAW_GAIN * yaw, -YAW_CLIP, YAW_CLIP)

    # hip states (forward coordinates), predicted half a step ahead
    amps = [0.0, 0.0, 0.0, 0.0]
    u_pred = [0.0, 0.0, 0.0, 0.0]
    v_pred = [0.0, 0.0, 0.0, 0.0]
    agg_x = 0.0
    agg_y = 0.0
    for k in range(4):
        amp = HIP_AMP * (1.0 + SIDE_SIGN[k] * steer)
        u = -BACK_SIGN[k] * float(o[HIP_OBS[k]])
        v = -BACK_SIGN[k] * float(o[HIP_VEL[k]])
        up = u + v * HALF_DT
        vp = v - OMEGA * OMEGA * u * HALF_DT
        amps[k] = amp
        u_pred[k] = up
        v_pred[k] = vp
        agg_x += PAIR_SIGN[k] * up / amp
        agg_y += PAIR_SIGN[k] * vp / (amp * OMEGA)
    phase = math.atan2(-agg_y, agg_x)
    cph = math.cos(phase)
    sph = math.sin(phase)

    action = [0.0] * 8
    for k in range(4):
        # ---- hip: limit-cycle tracking with feed-forward ----
        amp = amps[k]
        u_t = PAIR_SIGN[k] * amp * cph
        v_t = -PAIR_SIGN[k] * amp * OMEGA * sph
        a_t = -OMEGA * OMEGA * u_t
        a_u = ((INERTIA * a_t + JOINT_DAMPING * v_t) / GEAR
               + HIP_KP * (u_t - u_pred[k]) + HIP_KD * (v_t - v_pred[k]))
        action[HIP_ACT[k]] = -BACK_SIGN[k] * a_u

        # ---- ankle: stance extension, sin^2 lift during swing ----
        ph = phase + ANKLE_LEAD
        if PAIR_SIGN[k] < 0.0:
            ph = ph + math.pi
        sl = math.sin(ph)
        cl = math.cos(ph)
        if sl < 0.0:
            e_t = EXT_STANCE - EXT_LIFT * sl * sl
            ev_t = -EXT_LIFT * OMEGA * 2.0 * sl * cl
            ea_t = -2.0 * EXT_LIFT * OMEGA * OMEGA * (cl * cl - sl * sl)
        else:
            e_t = EXT_STANCE
            ev_t = 0.0
            ea_t = 0.0
        tilt = (-TILT_KP * (FOOT_X[k] * up_x + FOOT_Y[k] * up_y)
                + TILT_KD * (FOOT_X[k] * rate_y - FOOT_Y[k] * rate_x))
        tilt = clamp(tilt, -TILT_CLIP, TILT_CLIP)
        e_t = clamp(e_t + tilt, EXT_MIN, EXT_MAX)

        e = DOWN_SIGN[k] * float(o[ANKLE_OBS[k]])
        ev = DOWN_SIGN[k] * float(o[ANKLE_VEL[k]])
        e_p = e + ev * HALF_DT
        a_e = ((INERTIA * ea_t + JOINT_DAMPING * ev_t) / GEAR
               + ANKLE_KP * (e_t - e_p) + ANKLE_KD * (ev_t - ev))
        action[ANKLE_ACT[k]] = DOWN_SIGN[k] * a_e

    return np.clip(np.array(action, dtype=np.float64), -1.0, 1.0)
