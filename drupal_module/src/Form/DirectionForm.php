<?php

declare(strict_types=1);

namespace Drupal\entra_provisioning\Form;

use Drupal\Core\Form\FormStateInterface;

/**
 * Step 2: which way accounts flow.
 */
final class DirectionForm extends WizardFormBase
{
    /**
     * {@inheritdoc}
     */
    public function getFormId()
    {
        return 'entra_provisioning_direction';
    }

    /**
     * {@inheritdoc}
     *
     * @param array<string, mixed> $form
     *
     * @return array<string, mixed>
     */
    public function buildForm(array $form, FormStateInterface $form_state)
    {
        $form['drupal_to_entra'] = [
            '#type' => 'checkbox',
            '#title' => $this->t('Drupal → Entra ID'),
            '#description' => $this->t('Create Entra ID accounts for Drupal users (step 3).'),
            '#config_target' => self::target('direction.drupal_to_entra'),
        ];
        $form['entra_to_drupal'] = [
            '#type' => 'checkbox',
            '#title' => $this->t('Entra ID → Drupal'),
            '#description' => $this->t('Import Entra ID users into Drupal. The choice is stored now; the import itself arrives with a later release of this module.'),
            '#config_target' => self::target('direction.entra_to_drupal'),
        ];
        $form = parent::buildForm($form, $form_state);
        $form['actions']['submit']['#value'] = $this->t('Save and continue');
        $form['actions']['submit']['#submit'] = ['::submitForm', '::goNext'];
        $this->addBackLink($form, 'entra_provisioning.connection');

        return $form;
    }

    /**
     * Submit handler: continues with step 3.
     *
     * @param array<string, mixed> $form
     */
    public function goNext(array &$form, FormStateInterface $form_state): void
    {
        $form_state->setRedirect('entra_provisioning.provisioning');
    }
}
