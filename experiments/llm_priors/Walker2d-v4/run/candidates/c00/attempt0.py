import math
import numpy as np

# geometry taken from walker2d.xml
TORSO_TO_HIP = 0.2
THIGH_LEN = 0.45
SHIN_LEN = 0.5
FOOT_LEN = 0.2
FOOT_RADIUS = 0.06
LEG_LEN = 0.95

# contact / phase logic
CONTACT_HEIGHT = 0.02
BACKWARD_SPEED = -0.3
DS_VEL_WEIGHT = 0.03

# gait targets
TARGET_SPEED = 1.0
LEAN_BASE = -0.35
LEAN_SPEED_GAIN = 0.2
HIP_LIMIT_MARGIN = 0.03
STEP_BASE = 0.02
STEP_SPEED_GAIN = 0.25
STEP_MIN = -0.4
STEP_MAX = 0.45
PHI_MIN = -0.6

# gains (action units: 1.0 = 100 N m)
KP_TORSO = 1.5
KD_TORSO = 0.15
KP_SWING_HIP = 2.0
KD_SWING_HIP = 0.25

KP_KNEE = 2.0
KD_STANCE_KNEE = 0.1
KD_SWING_KNEE = 0.15
STANCE_KNEE_TARGET = 0.1
KNEE_BEND_GAIN = 4.0
KNEE_BACK_GAIN = 2.0
KNEE_BEND_MIN = 0.05
KNEE_BEND_MAX = 1.2
KNEE_LIFTOFF_BEND = 0.3

KP_SWING_ANKLE = 0.3
KD_SWING_ANKLE = 0.02
SWING_FOOT_PITCH = 0.1
ANKLE_LIMIT = 0.75
PUSH_BASE = 0.2
PUSH_SPEED_GAIN = 0.4
PUSH_MAX = 0.5
PUSH_PHI_MAX = 0.05

KP_STANCE_ANKLE = 0.4
KD_STANCE_ANKLE = 0.03
ANKLE_SPEED_GAIN = 0.5
ANKLE_SPEED_MIN = -0.5
ANKLE_SPEED_MAX = 0.2


def clip(x, lo, hi):
    return max(lo, min(hi, x))


def leg_state(obs, iq, iv, theta, omega, hip_z):
    qh = float(obs[iq])
    qk = float(obs[iq + 1])
    qa = float(obs[iq + 2])
    dqh = float(obs[iv])
    dqk = float(obs[iv + 1])
    dqa = float(obs[iv + 2])
    phi = qh - theta                  # world thigh angle (+ = foot forward)
    psi = phi + qk                    # world shin angle
    chi = psi + qa                    # world foot angle (+ = toe up)
    ankle_x = THIGH_LEN * math.sin(phi) + SHIN_LEN * math.sin(psi)
    ankle_z = hip_z - THIGH_LEN * math.cos(phi) - SHIN_LEN * math.cos(psi)
    toe_z = ankle_z + FOOT_LEN * math.sin(chi)
    height = min(ankle_z, toe_z) - FOOT_RADIUS
    return {
        "qh": qh, "qk": qk, "qa": qa,
        "dqh": dqh, "dqk": dqk, "dqa": dqa,
        "phi": phi, "psi": psi, "chi": chi,
        "dphi": dqh - omega,
        "dchi": dqh + dqk + dqa - omega,
        "ax": ankle_x,
        "height": height,
        "contact": height < CONTACT_HEIGHT,
    }


def policy(obs):
    z = float(obs[0])
    th = float(obs[1])
    vx = float(obs[8])
    om = float(obs[10])
    cth = math.cos(th)
    hip_z = z - TORSO_TO_HIP * cth
    v = vx - TORSO_TO_HIP * cth * om          # forward speed of the hip

    right = leg_state(obs, 2, 11, th, om, hip_z)
    left = leg_state(obs, 5, 14, th, om, hip_z)

    # ---- stance / swing selection from kinematic contact estimate ----
    if right["contact"] and left["contact"]:
        sr = right["ax"] - DS_VEL_WEIGHT * right["dphi"]
        sl = left["ax"] - DS_VEL_WEIGHT * left["dphi"]
        if v < BACKWARD_SPEED:
            right_stance = sr <= sl
        else:
            right_stance = sr >= sl
    elif right["contact"]:
        right_stance = True
    elif left["contact"]:
        right_stance = False
    else:
        right_stance = right["height"] <= left["height"]

    if right_stance:
        st, sw = right, left
    else:
        st, sw = left, right

    # ---- torso pitch control (net hip torque on the torso) ----
    lean = LEAN_BASE - LEAN_SPEED_GAIN * clip(v - TARGET_SPEED, 0.0, 1.0)
    tau_torso = KP_TORSO * (lean - th) - KD_TORSO * om

    # ---- swing hip: foot placement in world frame ----
    dx = clip(STEP_BASE + STEP_SPEED_GAIN * v, STEP_MIN, STEP_MAX)
    phi_des = math.asin(clip(dx / LEG_LEN, -0.6, 0.6))
    phi_des = min(phi_des, -th - HIP_LIMIT_MARGIN)   # respect hip limit q <= 0
    phi_des = max(phi_des, PHI_MIN)
    tau_sw_hip = KP_SWING_HIP * (phi_des - sw["phi"]) - KD_SWING_HIP * sw["dphi"]
    tau_sw_hip = clip(tau_sw_hip, tau_torso - 1.0, tau_torso + 1.0)
    tau_sw_hip = clip(tau_sw_hip, -1.0, 1.0)
    tau_st_hip = clip(tau_torso - tau_sw_hip, -1.0, 1.0)

    # ---- knees ----
    err = phi_des - sw["phi"]
    bend = KNEE_BEND_GAIN * max(err, 0.0) + KNEE_BACK_GAIN * max(-err, 0.0)
    if sw["contact"]:
        bend = max(bend, KNEE_LIFTOFF_BEND)
    bend = clip(bend, KNEE_BEND_MIN, KNEE_BEND_MAX)
    tau_sw_knee = KP_KNEE * (-bend - sw["qk"]) - KD_SWING_KNEE * sw["dqk"]
    tau_st_knee = KP_KNEE * (STANCE_KNEE_TARGET - st["qk"]) - KD_STANCE_KNEE * st["dqk"]

    # ---- ankles ----
    if sw["contact"] and sw["phi"] < PUSH_PHI_MAX:
        push = clip(PUSH_BASE + PUSH_SPEED_GAIN * (TARGET_SPEED - v), 0.0, PUSH_MAX)
        tau_sw_ankle = -push                       # toe-down push-off
    else:
        qa_des = clip(SWING_FOOT_PITCH - sw["psi"], -ANKLE_LIMIT, ANKLE_LIMIT)
        tau_sw_ankle = KP_SWING_ANKLE * (qa_des - sw["qa"]) - KD_SWING_ANKLE * sw["dqa"]

    speed_term = clip(ANKLE_SPEED_GAIN * (TARGET_SPEED - v), ANKLE_SPEED_MIN, ANKLE_SPEED_MAX)
    tau_st_ankle = speed_term - KP_STANCE_ANKLE * st["chi"] - KD_STANCE_ANKLE * st["dchi"]

    if right_stance:
        action = [tau_st_hip, tau_st_knee, tau_st_ankle,
                  tau_sw_hip, tau_sw_knee, tau_sw_ankle]
    else:
        action = [tau_sw_hip, tau_sw_knee, tau_sw_ankle,
                  tau_st_hip, tau_st_knee, tau_st_ankle]

    return np.clip(np.array(action, dtype=np.float64), -1.0, 1.0)
