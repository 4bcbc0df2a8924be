/* Context switch for the two-task demo, FreeRTOS style: the hardware stacks
 * r0-r3, r12, lr, pc, xPSR on the task's PSP; r4-r11 are saved here. The
 * image is soft-float with the FPU off, so there is no FP context. */
    .file "switch.S"  /* else the FILE symbol is a random temp name */
    .syntax unified
    .thumb

    .global SVC_Handler
    .type SVC_Handler, %function
    .thumb_func
/* svc 0 from main (on MSP): start the clock, then drop into the first task
 * by restoring its fabricated frame from its PSP. */
SVC_Handler:
    bl      tasks_start_tick
    ldr     r1, =current_task
    ldr     r2, [r1]
    ldr     r3, =task_sp
    ldr     r0, [r3, r2, lsl #2]
    ldmia   r0!, {r4-r11}
    msr     psp, r0
    ldr     lr, =0xFFFFFFFD         /* return to Thread mode on PSP */
    bx      lr
    .size SVC_Handler, . - SVC_Handler

    .global PendSV_Handler
    .type PendSV_Handler, %function
    .thumb_func
/* Lowest priority, so it only runs when no other handler is active and
 * always interrupts a task (never main, which has left for good). */
PendSV_Handler:
    mrs     r0, psp
    stmdb   r0!, {r4-r11}
    ldr     r1, =current_task
    ldr     r2, [r1]
    ldr     r3, =task_sp
    str     r0, [r3, r2, lsl #2]
    eor     r2, r2, #1
    str     r2, [r1]
    ldr     r0, [r3, r2, lsl #2]
    ldmia   r0!, {r4-r11}
    msr     psp, r0
    ldr     r1, =switch_count
    ldr     r2, [r1]
    adds    r2, r2, #1
    str     r2, [r1]
    bx      lr
    .size PendSV_Handler, . - PendSV_Handler
