/* One entry stub for every exception the tests use. It hands the C
 * dispatcher the EXC_RETURN value and the stacked frame, and returns with
 * whatever EXC_RETURN the dispatcher gives back, so a test can choose the
 * return path explicitly. */
    .file "stub.S"  /* else the FILE symbol is a random temp name */
    .syntax unified
    .thumb

    .global exc_stub
    .type exc_stub, %function
    .thumb_func
exc_stub:
    mov     r0, lr              /* EXC_RETURN */
    tst     lr, #4              /* bit 2: frame is on PSP */
    ite     eq
    mrseq   r1, msp
    mrsne   r1, psp
    push    {r0, lr}            /* two words keep the 8-byte alignment */
    bl      exc_dispatch
    pop     {r1, r2}
    bx      r0
    .size exc_stub, . - exc_stub

    .macro route name
    .global \name
    .thumb_set \name, exc_stub
    .endm

    route NMI_Handler
    route HardFault_Handler
    route MemManage_Handler
    route BusFault_Handler
    route UsageFault_Handler
    route SVC_Handler
    route DebugMon_Handler
    route PendSV_Handler
    route SysTick_Handler
    route IRQ26_Handler
    route IRQ27_Handler
    route IRQ28_Handler
    route IRQ29_Handler
    route IRQ30_Handler
    route IRQ31_Handler
